"""5. Coupons and share links through HTTP: gunicorn (4 sync workers) on PostgreSQL + Redis,
the closed-loop load generator of the claim benchmark. In short alternating rounds on
the same server: claims with a coupon (each member uses each coupon once: the coupon's
conditional UPDATE and its unique live use on every claim) against claims without one,
and visits of ``/r/<code>`` (anonymous, counted in Redis) against the trivial endpoint
(GET /api/v1/me/claims of members without claims). Then the books: no coupon used more
than its uses, and no database row written by the visits until the sweeper rolls them up;
in this process, the queries of one visit and of one claim with and without a coupon."""

import asyncio
import json
import os
import time

from bench.claims import merge
from bench.common import closed_loop, gunicorn, members, session_token

TITLE = "5. Coupons and share links"

WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
USERS = 4 * WORKERS
WARMUP, SECONDS, ROUNDS = 0.5, 3.0, 4
CLAIMERS, IDLE, COUPONS = 2000, 300, 20
COUPON_USES = 1_000_000  # a limit the counter checks on every use, never reached


def in_process(offer, link, claim_tokens, idle_tokens=None, n=100):
    """Queries of one visit, one claim without and one with a coupon, and one baseline request
    (test client, no HTTP)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()

    def post(token, body):
        return client.post(f"/api/v1/offers/{offer.pk}/claims", json.dumps(body), content_type="application/json",
                           HTTP_X_SESSION_TOKEN=token)  # fmt: skip

    calls = {
        "visit": lambda i: Client().get(f"/r/{link.code}"),
        "claim": lambda i: post(claim_tokens[i], {"quantity": 1}),
        "claim with coupon": lambda i: post(claim_tokens[i], {"quantity": 1, "coupon": "BENCHINPROC"}),
        "trivial": lambda i: client.get("/api/v1/me/claims", HTTP_X_SESSION_TOKEN=idle_tokens[i % len(idle_tokens)]),
    }
    figures = {}
    for offset, (name, call) in enumerate(calls.items()):
        base = 1000 + offset * (n + 2)
        call(base)  # warm
        with CaptureQueriesContext(connection) as queries:
            assert call(base + 1).status_code in (200, 201, 302)
        count = len(queries)  # now: the next request empties the log it reads
        writes = sum(q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for q in queries)
        cpu = time.process_time()
        for i in range(base + 2, base + 2 + n):
            call(i)
        figures[name] = (count, writes, (time.process_time() - cpu) / n * 1000)
    return figures


def run(out):
    from django.db.models import Count, Sum

    from community_commerce.models import Coupon, CouponUse, LinkVisitDay, LinkVisitor, Order
    from community_commerce.services import coupons, lifecycle, links
    from tests import factories

    seller = factories.merchant()
    thread = factories.commerce_thread(seller)
    claimers = [session_token(m) for m in members(CLAIMERS, "sharer")]
    idle = [session_token(m) for m in members(IDLE, "sharer-idle")]

    def sale():
        offer = factories.offer("flash_sale", merchant_=seller, thread_=thread, stock=1_000_000, status="scheduled",
                                terms={"unit_price": "9.90"})  # fmt: skip
        lifecycle.open_offer(offer_id=offer.pk)
        return offer

    plain, discounted = sale(), sale()
    for k in range(COUPONS):  # member i's n-th claim uses coupon n: one use per member and coupon
        coupons.create_coupon(user=seller.user, offer_id=discounted.pk, code=f"BENCH{k}", discount_type="amount",
                              value="1.00", max_uses=COUPON_USES)  # fmt: skip
    link = links.get_or_create_link(user=seller.user, offer_id=plain.pk, channel="poster")[0]
    rows_before = LinkVisitDay.objects.count() + LinkVisitor.objects.count()

    def claim(offer, with_coupon, offset):
        def make(i):
            n = i + offset
            body = {"quantity": 1}
            if with_coupon:
                body["coupon"] = f"BENCH{n // CLAIMERS}"
            return "POST", f"/api/v1/offers/{offer.pk}/claims", claimers[n % CLAIMERS], body

        return make

    def visit(i):
        return "GET", f"/r/{link.code}", None, None

    def trivial(i):
        return "GET", "/api/v1/me/claims", idle[i % IDLE], None

    def load(make):
        return asyncio.run(closed_loop(server.base, make, users=USERS, warmup=WARMUP, seconds=SECONDS))

    server = gunicorn(workers=WORKERS)
    try:
        runs = {"plain": [], "coupon": [], "visit": [], "trivial": []}
        sent = {"plain": 0, "coupon": 0}
        for _ in range(ROUNDS):
            for name, offer, with_coupon in (("plain", plain, False), ("coupon", discounted, True)):
                runs[name].append(load(claim(offer, with_coupon, sent[name])))
                sent[name] += sum(runs[name][-1].statuses.values())
            runs["trivial"].append(load(trivial))
            runs["visit"].append(load(visit))
        server_errors = server.output().count("Traceback")
    finally:
        server.stop()
    merged = {name: merge(loads) for name, loads in runs.items()}
    rows_after_visits = LinkVisitDay.objects.count() + LinkVisitor.objects.count()
    visits_answered = sum(n for (status, _code), n in merged["visit"].statuses.items() if status == 302)
    moved = 0
    while True:  # the sweeper's roll-up, until Redis holds nothing more
        step = links.flush_visits()
        if not step:
            break
        moved += step
    flushed = LinkVisitDay.objects.filter(link=link).aggregate(n=Sum("visits"))["n"] or 0

    uses = {c.code: c.uses for c in Coupon.objects.filter(offer=discounted)}
    orders_per_coupon = dict(
        Order.objects.filter(offer=discounted, coupon__isnull=False)
        .values_list("coupon__code")
        .annotate(n=Count("id"))
        .values_list("coupon__code", "n")
    )
    live = dict(
        CouponUse.objects.filter(coupon__offer=discounted, status="live")
        .values_list("coupon__code")
        .annotate(n=Count("id"))
        .values_list("coupon__code", "n")
    )
    overused = any(
        uses[code] > COUPON_USES or uses[code] != orders_per_coupon.get(code, 0) or uses[code] != live.get(code, 0)
        for code in uses
    )
    twice = (
        CouponUse.objects.filter(coupon__offer=discounted, status="live")
        .values("coupon_id", "member_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )
    unexpected = {k: v for name in ("plain", "coupon") for k, v in merged[name].statuses.items() if k[0] != 201}
    unexpected.update({k: v for k, v in merged["visit"].statuses.items() if k[0] != 302})
    unexpected.update({k: v for k, v in merged["trivial"].statuses.items() if k[0] != 200})
    extra = sale()
    coupons.create_coupon(user=seller.user, offer_id=extra.pk, code="BENCHINPROC", discount_type="amount", value="1")
    cost = in_process(extra, link, claimers, idle)

    coupon_ratio = merged["coupon"].rate / merged["plain"].rate
    visit_ratio = merged["visit"].rate / merged["trivial"].rate
    for label, name in (("claim, no coupon        ", "plain"), ("claim with a coupon     ", "coupon"),
                        ("trivial GET /me/claims  ", "trivial"), ("visit GET /r/<code>     ", "visit")):  # fmt: skip
        load = merged[name]
        out.line(f"{label}: {load.rate:7.1f} req/s  p50 {load.pct(50):6.1f} ms  p99 {load.pct(99):6.1f} ms")
    out.line(f"ratio claim with coupon / without {coupon_ratio:.2f}; visit / trivial {visit_ratio:.2f}")
    out.line(
        f"coupons: {sum(uses.values())} uses = {sum(orders_per_coupon.values())} discounted orders = "
        f"{sum(live.values())} live uses; over-use: {'YES' if overused or twice else 'none'}"
    )
    out.line(
        f"visits: {visits_answered} redirects, link rows written during the run: {rows_after_visits - rows_before}; "
        f"rolled up by the sweeper afterwards: {moved} (stored {flushed}); unexpected answers: {unexpected or 'none'}; "
        f"server tracebacks: {server_errors}"
    )
    out.line(
        "in process, per request (queries, of which writes, ms CPU): "
        + "; ".join(f"{name} {q}, {w}, {ms:.1f}" for name, (q, w, ms) in cost.items())
    )
    return {
        "coupon_ratio": coupon_ratio,
        "visit_ratio": visit_ratio,
        "overused": overused or twice,
        "visit_rows": rows_after_visits - rows_before,
        "visit_writes": cost["visit"][1],
        "visits_match": flushed == visits_answered,
        "runs": merged,
    }
