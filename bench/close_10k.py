"""3. Closing a group-buy with 10,000 commitments on PostgreSQL: the whole
close_offer call (its transaction, then what runs on commit: 10,000
notifications, the thread event, the email task). Baseline, same run: inserting
the same 10,000 orders with bulk_create alone (rolled back)."""

import time

from bench.common import median, members

CLAIMS = 10_000
ROUNDS = 3


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
    for _ in range(ROUNDS):
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

        started = time.perf_counter()
        assert lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at)
        closes.append(time.perf_counter() - started)
        assert Order.objects.filter(offer=offer).count() == CLAIMS
        assert not Claim.objects.filter(offer=offer, status=Claim.Status.ACTIVE).exists()

    close, insert = median(closes), median(inserts)
    out.line(f"close_offer, {CLAIMS} claims: median {close:.2f} s of {ROUNDS} ({', '.join(f'{t:.2f}' for t in closes)})")
    out.line(f"baseline bulk_create of {CLAIMS} orders: median {insert:.2f} s")
    out.line(f"ratio close/baseline: {close / insert:.1f}")
    return {"close": close, "closes": closes, "insert": insert, "ratio": close / insert, "claims": CLAIMS}
