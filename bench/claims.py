"""1. Claim throughput through HTTP: gunicorn (4 sync workers) on PostgreSQL +
Redis, a closed-loop asyncio load generator (4 requests in flight per worker).
Baseline, same server, same run, in short rounds alternating with the claims:
GET /api/v1/me/claims for members with no claims (authenticated, cheap). Then a
sold-out sale, where the Redis gate answers, alternating with the baseline
again. Then, in this process (no HTTP), the queries and CPU time of one claim,
one baseline request and one anonymous read of the sale (no token, session or
member: what authenticating a member costs on top), to show where the
difference goes."""

import asyncio
import itertools
import json
import os
import time

from bench.common import Load, closed_loop, gunicorn, members, session_token

TITLE = "1. Claim throughput"

WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
USERS = 4 * WORKERS
WARMUP, SECONDS, ROUNDS = 0.5, 3.0, 4  # each round: the baseline, then the claims (short rounds: a shared
# machine's background load moves; alternating keeps it out of the ratio)
CLAIMERS, IDLE = 2000, 300
LIMIT = 5


def merge(loads):
    merged = Load(seconds=sum(load.seconds for load in loads))
    for load in loads:
        merged.latencies += load.latencies
        merged.bodies += load.bodies
        for key, n in load.statuses.items():
            merged.statuses[key] = merged.statuses.get(key, 0) + n
    return merged


def in_process(offer, claim_tokens, idle_tokens, n=200):
    """Queries and CPU milliseconds of one claim and one baseline request, through
    Django's test client in this process: the same code path without HTTP."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    calls = {
        "claim": lambda t: client.post(f"/api/v1/offers/{offer.pk}/claims", json.dumps({"quantity": 1}),
                                       content_type="application/json", HTTP_X_SESSION_TOKEN=t),
        "trivial": lambda t: client.get("/api/v1/me/claims", HTTP_X_SESSION_TOKEN=t),
        # The shared cost's other side: an anonymous read of the same sale (no token, session or member),
        # and the baseline's own path without a token (401: the middleware and the API's dispatch only).
        "anonymous": lambda t: client.get(f"/api/v1/offers/{offer.pk}"),
        "no token": lambda t: client.get("/api/v1/me/claims"),
    }  # fmt: skip
    tokens = {"claim": claim_tokens, "trivial": idle_tokens, "anonymous": idle_tokens, "no token": idle_tokens}
    figures = {}
    for name, call in calls.items():
        call(tokens[name][0])  # warm
        with CaptureQueriesContext(connection) as queries:
            assert call(tokens[name][1]).status_code in (200, 201, 401)
        count = len(queries)
        cpu = time.process_time()
        for token in tokens[name][2 : n + 2]:
            call(token)
        figures[name] = (count, (time.process_time() - cpu) / n * 1000)
    return figures


def run(out):
    from django.db.models import Sum

    from community_commerce.models import Order
    from community_commerce.services import lifecycle
    from tests import factories

    seller = factories.merchant()
    thread = factories.commerce_thread(seller)
    claimers = [session_token(m) for m in members(CLAIMERS, "claimer")]
    idle = [session_token(m) for m in members(IDLE, "idle")]

    def sale(stock):
        offer = factories.offer("flash_sale", merchant_=seller, thread_=thread, stock=stock, per_user_limit=LIMIT,
                                terms={"unit_price": "9.90"}, status="scheduled")  # fmt: skip
        lifecycle.open_offer(offer_id=offer.pk)  # as the sweeper opens a sale: its gate is built
        return offer

    def claim_of(offer):
        return lambda i: ("POST", f"/api/v1/offers/{offer.pk}/claims", claimers[i % CLAIMERS], {"quantity": 1})

    def trivial_request(i):
        return "GET", "/api/v1/me/claims", idle[i % IDLE], None

    big, small = sale(1_000_000), sale(200)
    server = gunicorn(workers=WORKERS)
    cpu_started, wall_started = time.process_time(), time.monotonic()
    try:
        trivials, claim_runs = [], []
        offset = 0
        for _ in range(ROUNDS):
            trivials.append(asyncio.run(
                closed_loop(server.base, trivial_request, users=USERS, warmup=WARMUP, seconds=SECONDS)
            ))  # fmt: skip
            claim_runs.append(asyncio.run(
                closed_loop(server.base, lambda i, o=offset: claim_of(big)(i + o), users=USERS, warmup=WARMUP,
                            seconds=SECONDS)
            ))  # fmt: skip
            offset += sum(claim_runs[-1].statuses.values())
        trivial, claims = merge(trivials), merge(claim_runs)
        selling = asyncio.run(
            closed_loop(server.base, claim_of(small), users=USERS, warmup=0, seconds=30,
                        stop_when=lambda status, body: status == 409)
        )  # fmt: skip
        trivials_after, sold_outs = [], []
        for _ in range(ROUNDS):
            trivials_after.append(asyncio.run(
                closed_loop(server.base, trivial_request, users=USERS, warmup=WARMUP, seconds=SECONDS)
            ))  # fmt: skip
            sold_outs.append(asyncio.run(
                closed_loop(server.base, claim_of(small), users=USERS, warmup=WARMUP, seconds=SECONDS)
            ))  # fmt: skip
        trivial_after, sold_out = merge(trivials_after), merge(sold_outs)
        generator_cpu = (time.process_time() - cpu_started) / (time.monotonic() - wall_started)
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
    unexpected.update({k: v for k, v in trivial_after.statuses.items() if k[0] != 200})
    cost = in_process(sale(1_000_000), claimers, idle)

    ratio = claims.rate / trivial.rate
    gate_ratio = sold_out.rate / trivial_after.rate
    for label, load in (("trivial  GET /me/claims ", trivial), ("claim    POST claims    ", claims),
                        ("trivial, second series  ", trivial_after), ("sold out (gate answers) ", sold_out)):  # fmt: skip
        out.line(f"{label}: {load.rate:7.1f} req/s  p50 {load.pct(50):6.1f} ms  p99 {load.pct(99):6.1f} ms")
    out.line(f"ratio claim/trivial {ratio:.2f}; sold-out/trivial (second series) {gate_ratio:.2f}")
    out.line(
        f"books: big sale sold {big.sold} = orders {big_orders} = 201 answers {won_big}; "
        f"small sale sold {small.sold}/{small.stock} = orders {small_orders} = 201 answers {won_small}; "
        f"oversold: {'YES' if oversold else 'no'}; unexpected answers: {unexpected or 'none'}; "
        f"server tracebacks: {server_errors}"
    )
    out.line(
        f"gunicorn: {WORKERS} sync workers, {USERS} requests in flight, {ROUNDS} x {SECONDS:.0f} s per endpoint "
        f"in each series (alternating with its baseline); the load generator used {generator_cpu:.0%} of a core"
    )
    out.line(
        f"in process, per request: claim {cost['claim'][0]} queries, {cost['claim'][1]:.1f} ms CPU; "
        f"trivial {cost['trivial'][0]} queries, {cost['trivial'][1]:.1f} ms CPU "
        f"(CPU ratio trivial/claim {cost['trivial'][1] / cost['claim'][1]:.2f}); "
        f"anonymous GET /offers/{{id}} {cost['anonymous'][0]} queries, {cost['anonymous'][1]:.1f} ms CPU; "
        f"GET /me/claims without a token (401) {cost['no token'][1]:.1f} ms CPU"
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
        "cost": cost,
    }
