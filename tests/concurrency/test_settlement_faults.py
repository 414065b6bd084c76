"""Settling commissions with a real Celery worker when things go wrong: the worker running
the sweeper's approval SIGKILLed in the middle of a batch, then a replacement and beat.
Nothing here calls the service: the worker and beat do. Each batch is one UPDATE in its
own transaction, so the kill loses at most the batch under way, which the next sweep does;
no entry is approved twice, none is written twice."""

import time

import pytest
from django.db import connection

from community_commerce import tasks
from community_commerce.models import CommissionEntry, Order
from tests import factories
from tests.concurrency.support import marks, members, wait_until
from tests.integration.conftest import SWEEP_SECONDS
from tests.ledger_rows import bulk_orders

pytestmark = marks(pytest.mark.integration)

ENTRIES = 40_000
BATCH = 500


def ledger_writers() -> list[int]:
    """Backends of another process (the worker) updating ledger rows: an approval batch under way."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT l.pid FROM pg_locks l
               JOIN pg_class c ON c.oid = l.relation
               JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE c.relname = 'community_commerce_commissionentry' AND l.mode = 'RowExclusiveLock'
                 AND a.datname = current_database() AND l.pid <> pg_backend_pid()"""
        )
        return [row[0] for row in cursor.fetchall()]


def approved() -> int:
    return CommissionEntry.objects.filter(status="approved").count()


def test_the_settlement_killed_mid_batch_and_restarted_approves_each_entry_once(celery_env, start_worker, request):
    celery_env["COMMUNITY_COMMERCE_SETTLE_BATCH"] = str(BATCH)
    merchant = factories.merchant()
    offer = factories.offer("flash_sale", merchant_=merchant, stock=None, terms={"unit_price": "10.00"})
    bulk_orders(offer=offer, buyers=members(200, prefix="settle"), count=ENTRIES, channels=("forum", "poster"))
    assert CommissionEntry.objects.filter(status="pending").count() == ENTRIES

    doomed = start_worker("doomed")
    tasks.sweep.delay()
    deadline = time.monotonic() + 60
    while not (ledger_writers() and approved() >= BATCH):  # a batch committed, the next one under way
        assert time.monotonic() < deadline, f"the approval never started:\n{doomed.output()}"
        assert approved() < ENTRIES, "the approval finished before it could be caught: give it more entries"
        time.sleep(0.002)
    doomed.kill()  # SIGKILL, worker and pool, in the middle of a batch's UPDATE

    wait_until(lambda: not ledger_writers(), timeout=60, message="the dead worker's backend")
    halfway = approved()
    assert 0 < halfway < ENTRIES
    assert halfway % BATCH == 0, f"{halfway} approved: a batch was half committed"
    assert CommissionEntry.objects.count() == ENTRIES
    assert CommissionEntry.objects.filter(status="pending").count() == ENTRIES - halfway

    start_worker("replacement")
    request.getfixturevalue("beat")  # the sweeper every SWEEP_SECONDS
    wait_until(lambda: approved() == ENTRIES, timeout=SWEEP_SECONDS * 20 + 60, message="every entry approved")
    moments = dict(CommissionEntry.objects.values_list("id", "approved_at"))
    time.sleep(SWEEP_SECONDS * 2 + 0.5)  # two more sweeps change nothing
    assert dict(CommissionEntry.objects.values_list("id", "approved_at")) == moments
    assert CommissionEntry.objects.count() == ENTRIES
    assert CommissionEntry.objects.values("order_id").distinct().count() == ENTRIES == Order.objects.count()
    assert CommissionEntry.objects.filter(status="approved", approved_at__isnull=True).count() == 0
