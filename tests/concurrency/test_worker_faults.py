"""Closing group-buys with real Celery workers through the real broker when
things go wrong: a worker SIGKILLed in the middle of a close, and the same
close task delivered twice to two workers at once. Nothing here calls a
service to close anything: the workers and beat do."""

import re
import time
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from community_commerce import tasks
from community_commerce.models import Claim, Offer, Order, OrderEvent
from forum.models import Notification
from tests import factories
from tests.concurrency.support import bulk_commitments, event_posts, fresh, marks, members, wait_until
from tests.integration.conftest import SWEEP_SECONDS

pytestmark = marks(pytest.mark.integration)

GROUP_TERMS = {"unit_price": "20.00", "min_quantity": 10, "tiers": [{"min_quantity": 100, "unit_price": "17.50"}]}


def ended_group_buy(buyers, *, quantity=1, ends_in=1.0):
    offer = factories.offer(
        "group_buy", terms=GROUP_TERMS, ends_at=timezone.now() + timedelta(seconds=ends_in), stock=None
    )
    bulk_commitments(offer, buyers, quantity)
    wait_until(lambda: timezone.now() > offer.ends_at, timeout=ends_in + 5, message="the end of the offer")
    return offer


def close_writers() -> list[int]:
    """Backends of another process (a worker) inserting orders into the test database: a close under way."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT l.pid FROM pg_locks l
               JOIN pg_class c ON c.oid = l.relation
               JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE c.relname = 'community_commerce_order' AND l.mode = 'RowExclusiveLock'
                 AND a.datname = current_database() AND l.pid <> pg_backend_pid()"""
        )
        return [row[0] for row in cursor.fetchall()]


def backend_alive(pid) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 1


def assert_closed_once(offer, claims):
    offer = fresh(offer)
    assert offer.status == Offer.Status.SUCCEEDED
    assert offer.result_unit_price is not None
    orders = Order.objects.filter(offer=offer)
    assert orders.count() == claims
    assert Claim.objects.filter(offer=offer, status=Claim.Status.ORDERED).count() == claims
    assert not Claim.objects.filter(offer=offer).exclude(status=Claim.Status.ORDERED).exists()
    assert orders.values("claim_id").distinct().count() == claims  # one order per claim, none twice
    assert set(orders.values_list("unit_price", flat=True)) == {offer.result_unit_price}
    assert OrderEvent.objects.filter(order__offer=offer).count() == claims
    wait_until(lambda: event_posts(offer, "Group-buy succeeded") >= 1, timeout=30, message="the thread event")
    told = Notification.objects.filter(
        kind="offer_succeeded", recipient_id__in=Claim.objects.filter(offer=offer).values("buyer_id")
    )
    wait_until(lambda: told.count() >= claims, timeout=30, message="the buyers' notifications")
    assert told.count() == claims
    assert event_posts(offer, "Group-buy succeeded") == 1
    return offer


def test_a_worker_killed_in_the_middle_of_a_close_and_restarted_closes_it_exactly_once(start_worker, request):
    claims = 3000
    doomed = start_worker("doomed")
    offer = ended_group_buy(members(claims, prefix="kill"), ends_in=0.5)

    tasks.close_offer.delay(offer.pk)  # the precise close, through the broker
    deadline = time.monotonic() + 60
    while not (writers := close_writers()):
        assert time.monotonic() < deadline, f"the close never started:\n{doomed.output()}"
        assert fresh(offer).closed_at is None, "the close finished before it could be caught: give it more claims"
        time.sleep(0.005)
    doomed.kill()  # SIGKILL, worker and pool, in the middle of the close transaction

    wait_until(lambda: not any(backend_alive(pid) for pid in writers), timeout=60, message="the dead close's backend")
    offer = fresh(offer)
    assert offer.closed_at is None and offer.status == Offer.Status.LIVE, "a half close was committed"
    assert Order.objects.filter(offer=offer).count() == 0
    assert Claim.objects.filter(offer=offer, status=Claim.Status.ACTIVE).count() == claims

    start_worker("replacement")
    request.getfixturevalue("beat")  # the sweeper: the killed task waits for the visibility timeout (an hour)
    wait_until(lambda: fresh(offer).closed_at, timeout=SWEEP_SECONDS * 5 + 30, message="the close after restart")
    assert_closed_once(offer, claims)
    before = (Order.objects.count(), OrderEvent.objects.count(), event_posts(offer, ""))
    time.sleep(SWEEP_SECONDS * 2 + 0.5)  # two more sweeps change nothing
    assert (Order.objects.count(), OrderEvent.objects.count(), event_posts(offer, "")) == before


def task_run(worker_logs, task_id):
    """(started, finished, returned) of one task, from the worker's log; None while it has not finished."""
    found = re.search(
        rf"\[(\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d+): INFO/[^\]]+\] "
        rf"Task community_commerce\.tasks\.close_offer\[{task_id}\] succeeded in ([\d.]+)s: (\w+)",
        worker_logs,
    )
    if not found:
        return None
    finished = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")
    return finished - timedelta(seconds=float(found.group(2))), finished, found.group(3)


def test_the_same_close_delivered_twice_to_two_workers_at_once_closes_once(start_worker):
    a, b = start_worker("twin-a"), start_worker("twin-b")
    claims = 300
    offers = [ended_group_buy(members(claims, prefix=f"twice{n}"), ends_in=0.2) for n in range(3)]

    sent = {offer.pk: [tasks.close_offer.delay(offer.pk).id for _ in range(2)] for offer in offers}

    def runs():
        logs = a.output() + b.output()
        return {pk: [task_run(logs, t) for t in ids] for pk, ids in sent.items()}

    wait_until(lambda: all(None not in r for r in runs().values()), timeout=60, message="both deliveries of each close")
    done = runs()
    for offer in offers:
        assert sorted(run[2] for run in done[offer.pk]) == ["False", "True"], done  # one closed it, one found it closed
        assert_closed_once(offer, claims)
    overlapping = [pk for pk, (one, two) in done.items() if one[0] < two[1] and two[0] < one[1]]
    assert overlapping, f"no two deliveries ran at the same time, the race was not staged: {done}"
