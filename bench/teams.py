"""8. Team buys. (a) A team join through HTTP against a flash-sale claim, the baseline, on
the same gunicorn (4 sync workers) in short alternating rounds (closed loop, 4 requests in
flight per worker). Teams of 3 with their leader seated: every second join fills a team,
so half the joins also complete one (3 orders, their events, the claims; the thread event
and the members' notices are queued to a worker after the commit, as a Celery message). (b) Failing 1,000 expired teams of 2 members
with the sweeper's teams.fail_due (its batches of TEAM_CLOSE_BATCH, each one transaction:
teams, claims, the offer's units, coupon uses; the members' tallies are left as they were,
recounted when one refuses a take; the members' notices queued to a worker after the commit), against a bare UPDATE of 2,000 claims alike (committed, as each
batch is), same run, each on rows of its own."""

import asyncio
import os
import time
from datetime import timedelta

from bench.claims import merge
from bench.common import closed_loop, gunicorn, median, members, session_token

TITLE = "8. Team buys: joining, and failing 1,000 expired teams"

WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
USERS = 4 * WORKERS
WARMUP, SECONDS, ROUNDS = 0.5, 3.0, 4
JOINERS, CLAIMERS = 2000, 2000
TEAMS_FOR_JOINS = 6000  # more seats than the rounds can take
FAIL_TEAMS, FAIL_ROUNDS = 1000, 5
TERMS = {"unit_price": "29.90", "solo_price": "39.90", "team_size": 3, "team_hours": 24}


def seated(offer, leaders, *, expires_at):
    """Teams with their leader's claim, written in bulk as open_team leaves them."""
    from django.db.models import F
    from django.utils import timezone

    from community_commerce.models import Claim, Offer, Team

    now = timezone.now()
    made = Team.objects.bulk_create(
        [Team(offer=offer, leader=m, size=3, members=1, created_at=now, expires_at=expires_at) for m in leaders],
        batch_size=1000,
    )
    Claim.objects.bulk_create(
        [
            Claim(offer=offer, buyer_id=t.leader_id, quantity=1, unit_price=offer.terms["unit_price"], team=t,
                  status=Claim.Status.ACTIVE, created_at=now, notified_at=now)
            for t in made
        ],
        batch_size=1000,
    )  # fmt: skip
    Offer.objects.filter(pk=offer.pk).update(sold=F("sold") + len(made))
    return made


def join_throughput(out, seller, thread):
    from django.db.models import Sum
    from django.utils import timezone

    from community_commerce.models import Claim, Offer, Order, Team
    from community_commerce.services import lifecycle
    from tests import factories

    ends = timezone.now() + timedelta(days=2)
    team_offer = factories.offer("team_buy", merchant_=seller, thread_=thread, stock=1_000_000, per_user_limit=1000,
                                 terms=TERMS, ends_at=ends)  # fmt: skip
    sale = factories.offer("flash_sale", merchant_=seller, thread_=thread, stock=1_000_000, per_user_limit=1000,
                           terms={"unit_price": "9.90"}, status="scheduled")  # fmt: skip
    lifecycle.open_offer(offer_id=sale.pk)
    leaders = members(TEAMS_FOR_JOINS, "leader")
    made = seated(team_offer, leaders, expires_at=ends)
    joiners = [session_token(m) for m in members(JOINERS, "joiner")]
    claimers = [session_token(m) for m in members(CLAIMERS, "claimant")]
    seq = iter(range(10**9))

    def join(_i):
        n = next(seq)  # one counter over every round: each team gets two joins, from two members
        return "POST", f"/api/v1/teams/{made[n // 2].pk}/join", joiners[n % JOINERS], {"quantity": 1}

    def claim(i):
        return "POST", f"/api/v1/offers/{sale.pk}/claims", claimers[i % CLAIMERS], {"quantity": 1}

    server = gunicorn(workers=WORKERS)
    try:
        claim_runs, join_runs = [], []
        for _ in range(ROUNDS):
            claim_runs.append(asyncio.run(closed_loop(server.base, claim, users=USERS, warmup=WARMUP, seconds=SECONDS)))
            join_runs.append(asyncio.run(closed_loop(server.base, join, users=USERS, warmup=WARMUP, seconds=SECONDS)))
        server_errors = server.output().count("Traceback")
    finally:
        server.stop()
    claims, joins = merge(claim_runs), merge(join_runs)
    ratio = joins.rate / claims.rate
    team_offer.refresh_from_db()
    held = Claim.objects.filter(offer=team_offer, status__in=Claim.HOLDING).aggregate(n=Sum("quantity"))["n"]
    over = Team.objects.filter(offer=team_offer, members__gt=3).count()
    complete = Team.objects.filter(offer=team_offer, status=Team.Status.COMPLETE).count()
    orders = Order.objects.filter(offer=team_offer).count()
    unexpected = {k: v for k, v in joins.statuses.items() if k[0] != 201}
    unexpected.update({k: v for k, v in claims.statuses.items() if k[0] != 201})
    for label, load in (("flash-sale claim (baseline)", claims), ("team join                  ", joins)):
        out.line(f"{label}: {load.rate:7.1f} req/s  p50 {load.pct(50):6.1f} ms  p99 {load.pct(99):6.1f} ms")
    out.line(f"ratio join/claim {ratio:.2f}")
    out.line(
        f"books: team offer sold {team_offer.sold} = units its claims hold {held}; teams over their size: {over}; "
        f"complete teams {complete}, their orders {orders} (= 3 x {complete}: {'yes' if orders == 3 * complete else 'NO'}); "
        f"unexpected answers: {unexpected or 'none'}; server tracebacks: {server_errors}"
    )
    Offer.objects.filter(pk__in=[team_offer.pk, sale.pk]).update(status=Offer.Status.CANCELLED)  # out of the sweeps
    ok = team_offer.sold == held and over == 0 and orders == 3 * complete and not unexpected
    return {"claims": claims, "joins": joins, "ratio": ratio, "books_ok": ok}


def fail_cost(out, seller, thread):
    from django.db import connection
    from django.utils import timezone

    from community_commerce.conf import conf
    from community_commerce.models import Claim, ClaimTally, Offer, Team
    from community_commerce.services import teams
    from tests import factories

    leaders = members(FAIL_TEAMS, "failing")
    seconds_ = members(FAIL_TEAMS, "second")
    fails, bares = [], []

    def teams_of_two(now, expires_at):
        offer = factories.offer("team_buy", merchant_=seller, thread_=thread, stock=10_000, per_user_limit=10,
                                terms=TERMS, ends_at=now + timedelta(days=2))  # fmt: skip
        made = seated(offer, leaders, expires_at=now + timedelta(hours=1))
        Claim.objects.bulk_create(
            [Claim(offer=offer, buyer=m, quantity=1, unit_price=offer.terms["unit_price"], team=t,
                   status=Claim.Status.ACTIVE, created_at=now, notified_at=now) for t, m in zip(made, seconds_, strict=True)],
            batch_size=1000,
        )  # fmt: skip
        ClaimTally.objects.bulk_create(
            [ClaimTally(offer=offer, buyer=m, taken=1) for m in [*leaders, *seconds_]], batch_size=1000
        )
        Team.objects.filter(offer=offer).update(members=2, expires_at=expires_at)
        Offer.objects.filter(pk=offer.pk).update(sold=2 * FAIL_TEAMS)
        return offer, made

    for _round in range(FAIL_ROUNDS):
        now = timezone.now()
        # Each measured on rows of its own, alike: an UPDATE leaves dead versions of the rows it
        # touched, which the other would have to step over.
        _, same = teams_of_two(now, now + timedelta(hours=1))  # not due: the sweeper leaves them
        offer, _made = teams_of_two(now, now - timedelta(seconds=1))
        ids = [t.pk for t in same]
        table = connection.ops.quote_name(Claim._meta.db_table)
        # The baseline: a bare UPDATE of as many claims, committed as the sweeper's batches are
        # (autocommit: its rows are its own, not used again).
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = %s, ended_at = %s WHERE team_id = ANY(%s) AND status = %s",
                ["released", now, ids, "active"],
            )
            assert cursor.rowcount == 2 * FAIL_TEAMS
        bares.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert teams.fail_due(now=now) == FAIL_TEAMS
        fails.append(time.perf_counter() - started)
        offer.refresh_from_db()
        assert offer.sold == 0 and not Claim.objects.filter(offer=offer, status="active").exists()
        Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.CANCELLED)
    fail, bare = median(fails), median(bares)
    out.line(
        f"teams.fail_due, {FAIL_TEAMS} expired teams ({2 * FAIL_TEAMS} claims, batches of {conf.TEAM_CLOSE_BATCH}, "
        f"notices queued): median {fail:.3f} s ({', '.join(f'{t:.3f}' for t in fails)})"
    )
    out.line(f"baseline bare UPDATE of their {2 * FAIL_TEAMS} claims: median {bare:.3f} s")
    out.line(f"ratio fail/bare {fail / bare:.2f}")
    return {"fail": fail, "bare": bare, "fail_ratio": fail / bare}


def run(out):
    from tests import factories

    seller = factories.merchant()
    thread = factories.commerce_thread(seller)
    result = join_throughput(out, seller, thread)
    result.update(fail_cost(out, seller, thread))
    return result
