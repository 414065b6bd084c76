"""The Redis stock gate under faults, through HTTP against gunicorn: Redis
flushed in the middle of a sale, and the gate rebuilt from the database while
claims it let through are still in flight. The database decides; the gate
rebuilds itself; the sale goes on and never oversells."""

import asyncio
import random
import time
from collections import Counter

import redis
from django.conf import settings
from django.utils import timezone

from community_commerce import stock
from community_commerce.models import ClaimTally, Order
from community_commerce.services import lifecycle, schedule
from tests import factories
from tests.concurrency.crowd import Call, crowd, one
from tests.concurrency.support import (
    InBackground,
    fresh,
    lock_waiters,
    marks,
    members,
    offer_row_locked,
    session_token,
    wait_until,
)

pytestmark = marks()

FLASH_TERMS = {"unit_price": "9.90", "reservation_minutes": 15}


def gate_redis():
    """The gate's Redis database: the test cache database (conf.GATE_REDIS_URL defaults to it)."""
    return redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])


def our_prefix() -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:"


def flush_plan(client) -> str:
    """``FLUSHDB`` when this run's keys are alone in the cache database. When another
    test run shares it (its own key prefix), only this run's keys go: what the
    application under test sees is the same, every key it had is gone at once."""
    prefix = our_prefix().encode()
    others = any(not key.startswith(prefix) for key in client.scan_iter(count=1000))
    return "this run's keys" if others else "FLUSHDB"


def flush(client, plan):
    if plan == "FLUSHDB":
        client.flushdb()
        return
    keys = list(client.scan_iter(match=f"{our_prefix()}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


def claim_call(offer, token, quantity=1, tag=None):
    return Call("POST", f"/api/v1/offers/{offer.pk}/claims", token, {"quantity": quantity}, tag=tag)


def check_books(offer, answers, *, stock_, limit):
    """No oversell; the 201 answers, the orders, the offer's count and the tallies agree."""
    odd = [(a.status, a.body, a.error) for a in answers if a.status not in (201, 409)]
    assert odd == [], odd[:5]
    assert {a.code for a in answers if a.status == 409} <= {"sold_out", "limit_exceeded"}
    offer = fresh(offer)
    orders = Order.objects.filter(offer=offer)
    won = [a for a in answers if a.status == 201]
    assert offer.sold <= stock_
    assert offer.sold == sum(o.quantity for o in orders) == sum(a.body["quantity"] for a in won)
    assert sorted(o.pk for o in orders) == sorted(a.body["order"] for a in won)
    held = Counter()
    for o in orders:
        held[o.buyer_id] += o.quantity
    assert not held or max(held.values()) <= limit
    if offer.per_user_limit:
        tallies = ClaimTally.objects.filter(offer=offer, taken__gt=0).values_list("buyer_id", "taken")
        assert dict(tallies) == dict(held)
    return offer


def test_redis_flushed_in_the_middle_of_a_sale_neither_oversells_nor_stops_it(live):
    stock_, limit = 100, 2
    offer = factories.offer("flash_sale", stock=stock_, per_user_limit=limit, terms=FLASH_TERMS, status="scheduled")
    assert lifecycle.open_offer(offer_id=offer.pk)  # the sale opens: its gate is built
    crowd_members = members(300)
    tokens = [session_token(m) for m in crowd_members]
    client = gate_redis()
    left_key = stock.RedisGate.keys(offer.pk)[0]
    plan = flush_plan(client)
    rng = random.Random(3)

    first = crowd(live.base, [claim_call(offer, tokens[i], tag=crowd_members[i].pk) for i in range(20)])
    assert [a.status for a in first] == [201] * 20
    assert int(client.get(left_key)) == stock_ - 20  # the gate is up and counting

    flushed = {}

    async def flush_mid_flight(tasks):
        deadline = time.monotonic() + 60
        while sum(t.done() for t in tasks) < 5 and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        flushed["answered before"] = sum(t.done() for t in tasks)
        flush(client, plan)
        flushed["at"] = time.time()

    middle = crowd(
        live.base, [claim_call(offer, tokens[i], tag=crowd_members[i].pk) for i in range(20, 80)], flush_mid_flight
    )
    print(f"flush: {plan}, {flushed['answered before']} of {len(middle)} answered before it")
    assert 0 < flushed["answered before"] < len(middle), "the flush did not land in the middle of the crowd"
    assert [a.status for a in middle] == [201] * len(middle), [a.body for a in middle if a.status != 201][:3]
    assert client.exists(left_key), "no claim rebuilt the gate after the flush"
    assert fresh(offer).sold == 80

    # After the flush: the sale goes on to the last unit, and not one beyond.
    last = crowd(
        live.base,
        [claim_call(offer, tokens[i], rng.choice((1, 2)), tag=crowd_members[i].pk) for i in range(80, 300)],
    )
    assert sum(a.body["quantity"] for a in last if a.status == 201) == 20
    offer = check_books(offer, first + middle + last, stock_=stock_, limit=limit)
    assert offer.sold == stock_
    state = one(live.base, Call("GET", f"/api/v1/offers/{offer.pk}")).body
    assert (state["stock_left"], state["status"]) == (0, "sold_out"), state


def stage_gate_rebuilt_under_claims_in_flight(base, offer, tokens, in_flight):
    """``in_flight`` claims pass the gate and wait on the offer's row (a slow
    transaction elsewhere holds it) while the sweeper rebuilds the gate from the
    database, which does not count them yet; then they commit."""
    with offer_row_locked(offer.pk):
        waiting = InBackground(base, [claim_call(offer, t) for t in tokens[:in_flight]])
        wait_until(lambda: lock_waiters() >= in_flight, timeout=60, message="the claims waiting on the offer's row")
        assert schedule.resync_gates(now=timezone.now()) >= 1  # what every sweep does for running crowd sales
    return waiting.join()


def test_a_gate_rebuilt_while_claims_are_in_flight_only_overstates_the_sale_sells_out_exactly_and_says_so(live):
    """The rebuilt gate counts 4 units too many; the database still sells exactly the stock,
    and the sale is marked sold out although the gate never reached 0 (it was not, in an
    earlier version of the claim path, which asked the gate instead of the database)."""
    stock_ = 20
    offer = factories.offer("flash_sale", stock=stock_, terms=FLASH_TERMS)
    tokens = [session_token(m) for m in members(60)]

    staged = stage_gate_rebuilt_under_claims_in_flight(live.base, offer, tokens, in_flight=4)
    assert [a.status for a in staged] == [201] * 4
    assert int(gate_redis().get(stock.RedisGate.keys(offer.pk)[0])) == stock_  # the 4 taken are not counted
    rest = crowd(live.base, [claim_call(offer, t) for t in tokens[4:]])

    offer = check_books(offer, staged + rest, stock_=stock_, limit=stock_)
    assert offer.sold == stock_
    late = one(live.base, claim_call(offer, tokens[-1]))
    assert (late.status, late.code) == (409, "sold_out")
    state = one(live.base, Call("GET", f"/api/v1/offers/{offer.pk}")).body
    assert (state["stock_left"], state["status"], state["is_open"]) == (0, "sold_out", False), state


def test_a_claim_retried_with_its_idempotency_key_after_a_redis_flush_gets_the_first_claim_back(live):
    """A phone times out on a claim that went through and sends it again with the
    same key; meanwhile Redis lost its memory. The retry must answer the claim it
    already has (200), not a refusal that makes the member think they got nothing."""
    offer = factories.offer("flash_sale", stock=2, per_user_limit=2, terms=FLASH_TERMS)
    token = session_token(members(1)[0])
    path = f"/api/v1/offers/{offer.pk}/claims"
    first = one(live.base, Call("POST", path, token, {"quantity": 2, "idempotency_key": "tap-1"}))
    assert first.status == 201, first.body
    again = one(live.base, Call("POST", path, token, {"quantity": 2, "idempotency_key": "tap-1"}))
    assert (again.status, again.body["id"]) == (200, first.body["id"])

    client = gate_redis()
    flush(client, flush_plan(client))
    retried = one(live.base, Call("POST", path, token, {"quantity": 2, "idempotency_key": "tap-1"}))

    assert (retried.status, retried.body.get("id")) == (200, first.body["id"]), retried.body
    assert fresh(offer).sold == 2
    assert Order.objects.filter(offer=offer).count() == 1
