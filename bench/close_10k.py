"""3. Closing a group-buy with 10,000 commitments on PostgreSQL: the whole
close_offer call (its transaction, then what runs on commit: 10,000
notifications, the thread event, the email task). Baseline, same run: inserting
the same 10,000 orders with bulk_create alone (rolled back)."""

import time

from bench.common import median, members

TITLE = "3. Closing a group-buy with 10,000 claims"

CLAIMS = 10_000
ROUNDS = 3  # timed; then one more with the queries captured, for the split between SQL and Python


def captured_close(offer):
    """(seconds, {statement: (seconds, count)}) of one close_offer with a debug cursor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from community_commerce.services import lifecycle

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        assert lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at)
        wall = time.perf_counter() - started
    sql = {}
    for query in queries.captured_queries:
        words = query["sql"].replace('"', "").split()
        what = " ".join(words[:3]) if words[0] in ("INSERT", "UPDATE") else words[0]
        what = what.replace("INSERT INTO ", "insert ").replace("UPDATE ", "update ").split(" SET")[0]
        seconds, count = sql.get(what, (0.0, 0))
        sql[what] = (seconds + float(query["time"]), count + 1)
    return wall, sql


def run(out):
    from django.db import transaction
    from django.utils import timezone

    from community_commerce.models import Claim, Offer, Order
    from community_commerce.services import lifecycle, orders
    from tests import factories

    seller = factories.merchant()
    thread = factories.commerce_thread(seller)
    buyers = members(CLAIMS, "tenk")
    closes, inserts = [], []
    split = None
    for round_ in range(ROUNDS + 1):
        offer = factories.offer(
            "group_buy", merchant_=seller, thread_=thread, stock=None,
            terms={"unit_price": "20.00", "min_quantity": 100, "tiers": [{"min_quantity": 5000, "unit_price": "17.50"}]},
            ends_at=timezone.now() + timezone.timedelta(hours=1),
        )  # fmt: skip
        Claim.objects.bulk_create(
            [Claim(offer=offer, buyer=b, quantity=1, unit_price=offer.terms["unit_price"]) for b in buyers],
            batch_size=1000,
        )
        Offer.objects.filter(pk=offer.pk).update(sold=CLAIMS)
        offer.refresh_from_db()

        with transaction.atomic():  # the baseline: the orders alone, then rolled back
            built = [
                orders.build_order(claim_id=cid, buyer_id=bid, quantity=q, offer=offer, unit_price=offer.terms["unit_price"],
                                   now=offer.ends_at)
                for cid, bid, q in Claim.objects.filter(offer=offer).values_list("id", "buyer_id", "quantity")
            ]  # fmt: skip
            started = time.perf_counter()
            Order.objects.bulk_create(built, batch_size=lifecycle.BULK)
            inserts.append(time.perf_counter() - started)
            transaction.set_rollback(True)

        if round_ < ROUNDS:
            started = time.perf_counter()
            assert lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at)
            closes.append(time.perf_counter() - started)
        else:
            split = captured_close(offer)
        assert Order.objects.filter(offer=offer).count() == CLAIMS
        assert not Claim.objects.filter(offer=offer, status=Claim.Status.ACTIVE).exists()

    close, insert = median(closes), median(inserts)
    out.line(
        f"close_offer, {CLAIMS} claims: median {close:.2f} s, best {min(closes):.2f} s of {ROUNDS} "
        f"({', '.join(f'{t:.2f}' for t in closes)})"
    )
    out.line(f"baseline bulk_create of {CLAIMS} orders: median {insert:.2f} s")
    out.line(f"ratio close/baseline: {close / insert:.1f}")
    wall, sql = split
    out.line(
        f"one more close with its queries captured: {wall:.2f} s, of which SQL {sum(t for t, _ in sql.values()):.2f} s "
        f"("
        + ", ".join(f"{what} {t:.2f} s" for what, (t, _) in sorted(sql.items(), key=lambda kv: -kv[1][0])[:5])
        + f"), Python {wall - sum(t for t, _ in sql.values()):.2f} s"
    )
    return {
        "close": close,
        "best": min(closes),
        "closes": closes,
        "insert": insert,
        "ratio": close / insert,
        "claims": CLAIMS,
    }
