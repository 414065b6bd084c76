"""1. Claim throughput through HTTP: gunicorn (4 sync workers) on PostgreSQL +
Redis, a closed-loop asyncio load generator. Baseline, same server, same run:
GET /api/v1/me/claims for members with no claims (authenticated, cheap)."""

import asyncio
import itertools

from bench.common import closed_loop, gunicorn, members, session_token

USERS = 16  # virtual users in flight: 4 per gunicorn worker
WARMUP, SECONDS = 2.0, 10.0
CLAIMERS, IDLE = 2000, 300
LIMIT = 5


def run(out):
    from django.db.models import Sum

    from community_commerce.models import Offer, Order
    from community_commerce.services import lifecycle
    from tests import factories

    seller = factories.merchant()
    thread = factories.commerce_thread(seller)
    claimers = [session_token(m) for m in members(CLAIMERS, "claimer")]
    idle = [session_token(m) for m in members(IDLE, "idle")]
    big = factories.offer("flash_sale", merchant_=seller, thread_=thread, stock=1_000_000, per_user_limit=LIMIT,
                          terms={"unit_price": "9.90"}, status="scheduled")  # fmt: skip
    small = factories.offer("flash_sale", merchant_=seller, thread_=thread, stock=200, per_user_limit=LIMIT,
                            terms={"unit_price": "9.90"}, status="scheduled")  # fmt: skip
    for offer in (big, small):
        lifecycle.open_offer(offer_id=offer.pk)  # as the sweeper opens a sale: its gate is built

    server = gunicorn(workers=4)
    try:
        trivial = asyncio.run(
            closed_loop(server.base, lambda i: ("GET", "/api/v1/me/claims", idle[i % IDLE], None),
                        users=USERS, warmup=WARMUP, seconds=SECONDS)
        )  # fmt: skip
        claim_big = lambda i: ("POST", f"/api/v1/offers/{big.pk}/claims", claimers[i % CLAIMERS], {"quantity": 1})  # noqa: E731
        claims = asyncio.run(closed_loop(server.base, claim_big, users=USERS, warmup=WARMUP, seconds=SECONDS))
        claim_small = lambda i: ("POST", f"/api/v1/offers/{small.pk}/claims", claimers[i % CLAIMERS], {"quantity": 1})  # noqa: E731
        selling = asyncio.run(
            closed_loop(server.base, claim_small, users=USERS, warmup=0, seconds=30,
                        stop_when=lambda status, body: status == 409)
        )  # fmt: skip
        sold_out = asyncio.run(closed_loop(server.base, claim_small, users=USERS, warmup=WARMUP, seconds=SECONDS))
        server_errors = server.output().count("Traceback")
    finally:
        server.stop()

    big.refresh_from_db()
    small.refresh_from_db()
    big_orders = Order.objects.filter(offer=big).aggregate(n=Sum("quantity"))["n"] or 0
    small_orders = Order.objects.filter(offer=small).aggregate(n=Sum("quantity"))["n"] or 0
    won_big = sum(1 for b in claims.bodies if b["offer"] == big.pk)
    won_small = sum(1 for b in itertools.chain(selling.bodies, sold_out.bodies) if b["offer"] == small.pk)
    oversold = not (
        big.sold == big_orders == won_big <= big.stock and small.sold == small_orders == won_small == small.stock
    )
    unexpected = {k: v for k, v in claims.statuses.items() if k[0] != 201}
    unexpected.update({k: v for k, v in sold_out.statuses.items() if k != (409, "sold_out")})
    unexpected.update({k: v for k, v in trivial.statuses.items() if k[0] != 200})

    ratio = claims.rate / trivial.rate
    gate_ratio = sold_out.rate / trivial.rate
    out.line(f"trivial  GET /me/claims : {trivial.rate:7.1f} req/s  p50 {trivial.pct(50):6.1f} ms  p99 {trivial.pct(99):6.1f} ms")  # fmt: skip
    out.line(f"claim    POST claims    : {claims.rate:7.1f} req/s  p50 {claims.pct(50):6.1f} ms  p99 {claims.pct(99):6.1f} ms")  # fmt: skip
    out.line(f"sold out (gate answers) : {sold_out.rate:7.1f} req/s  p50 {sold_out.pct(50):6.1f} ms  p99 {sold_out.pct(99):6.1f} ms")  # fmt: skip
    out.line(f"ratio claim/trivial {ratio:.2f}, sold-out/trivial {gate_ratio:.2f}")
    out.line(
        f"books: big sale sold {big.sold} = orders {big_orders} = 201 answers {won_big}; "
        f"small sale sold {small.sold}/{small.stock} = orders {small_orders} = 201 answers {won_small}; "
        f"oversold: {'YES' if oversold else 'no'}; unexpected answers: {unexpected or 'none'}; "
        f"server tracebacks: {server_errors}"
    )
    return {
        "trivial": trivial,
        "claims": claims,
        "sold_out": sold_out,
        "ratio": ratio,
        "gate_ratio": gate_ratio,
        "oversold": oversold,
        "unexpected": unexpected,
        "server_errors": server_errors,
        "users": USERS,
        "seconds": SECONDS,
    }
