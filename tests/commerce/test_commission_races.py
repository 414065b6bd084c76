"""The ledger under races on PostgreSQL (threads released together, the helpers of
test_concurrency.py): a paid event delivered twice at once, a payment and its late
re-delivery, approval racing a refund, two sweepers, two payouts. One entry per order,
beneficiary and kind; each entry approved, paid and reversed at most once."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from community_commerce.models import CommissionEntry, Order
from community_commerce.services import commissions, orders, payouts
from tests import factories
from tests.commerce.ledger_support import buy, flash, link_of, move, owed_apart_from_the_ledger, referred
from tests.commerce.test_concurrency import at_once, pytestmark, unexpected  # noqa: F401 - the marks
from tests.concurrency.support import lock_waiters, wait_until

E = CommissionEntry


@pytest.fixture
def shop():
    merchant = factories.merchant()
    return flash(merchant, factories.commerce_thread(merchant), price="40.00")


def earning_order(shop, n):
    """A paid-to-be order whose buyer signed up through bob's link and came through it: three entries."""
    bob = factories.user(f"bob{n}")
    newcomer = referred(link_of(bob, shop), f"newcomer{n}")
    return buy(shop, newcomer, ref=link_of(bob, shop).code)


@pytest.mark.parametrize("round_", range(3))
def test_the_paid_event_delivered_four_times_at_once_writes_each_entry_once(shop, round_):
    order = earning_order(shop, round_)
    Order.objects.filter(pk=order.pk).update(status="paid")  # paid elsewhere; its event now arrives four times
    results = at_once([lambda: commissions.record_for_order(order_id=order.pk)] * 4)
    assert unexpected(results) == []
    assert sorted(E.objects.filter(order=order).values_list("beneficiary", "kind")) == [
        ("forum", "cps"), ("member", "cpa"), ("member", "cps"),
    ]  # fmt: skip
    assert Order.objects.get(pk=order.pk).commissions_owed > 0
    assert owed_apart_from_the_ledger() == []  # four recounts, one sum of the three entries


def test_paying_twice_at_once_and_the_event_again_leave_one_entry_each(shop):
    order = earning_order(shop, 9)
    seller = shop.merchant.user
    results = at_once(
        [lambda: orders.transition(order_id=order.pk, to_status="paid", actor=seller)] * 2
        + [lambda: commissions.record_for_order(order_id=order.pk)] * 2
    )
    assert unexpected(results) == []
    assert E.objects.filter(order=order).count() == 3
    assert Order.objects.get(pk=order.pk).events.filter(to_status="paid").count() == 1
    assert owed_apart_from_the_ledger() == []


def test_a_second_delivery_waits_for_the_first_and_then_writes_nothing(shop):
    order = earning_order(shop, 7)
    Order.objects.filter(pk=order.pk).update(status="paid")
    inside, release, failures = threading.Event(), threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                commissions.record_for_order(order_id=order.pk)
                inside.set()
                release.wait(timeout=30)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            inside.set()
            connection.close()

    holder = threading.Thread(target=first)
    holder.start()
    assert inside.wait(timeout=30)
    second = threading.Thread(target=lambda: (commissions.record_for_order(order_id=order.pk), connection.close()))
    second.start()
    wait_until(lambda: lock_waiters() >= 1, timeout=10, message="the second delivery to wait on the first's rows")
    release.set()
    holder.join(timeout=30)
    second.join(timeout=30)
    assert failures == [] and not second.is_alive()
    assert E.objects.filter(order=order).count() == 3


def test_approval_racing_a_refund_leaves_every_entry_void_or_reversed(shop, settings):
    staff = factories.staff()
    completed = []
    for n in range(6):
        order = earning_order(shop, 20 + n)
        at = order.created_at - timedelta(days=30)
        completed.append(move(order, "pay", "ship", "complete", now=at))
    results = at_once(
        [lambda: commissions.approve_due()] * 2
        + [
            lambda o=o: orders.transition(order_id=o.pk, to_status="refunded", actor=staff, reason="Refund")
            for o in completed
        ]
    )
    assert unexpected(results) == []
    for order in completed:
        originals = E.objects.filter(order=order, reverses=None)
        for entry in originals:
            if entry.status == "void":
                assert not E.objects.filter(reverses=entry).exists()
            else:  # approved before the refund: taken back by exactly one reversal
                assert entry.status == "approved"
                assert E.objects.get(reverses=entry).amount == -entry.amount
        net = E.objects.filter(order=order).exclude(status__in=("void", "fraud")).aggregate(s=Sum("amount"))["s"]
        assert (net or 0) == 0
        assert Order.objects.get(pk=order.pk).commissions_owed == 0
    assert owed_apart_from_the_ledger() == []


def test_two_sweepers_approve_each_entry_once(shop):
    for n in range(8):
        order = earning_order(shop, 40 + n)
        move(order, "pay", "ship", "complete", now=order.created_at - timedelta(days=30))
    results = at_once([lambda: commissions.approve_due(batch=3)] * 3)
    assert unexpected(results) == []
    assert sum(results) == E.objects.filter(status="approved").count() == 24


def test_two_payouts_at_once_pay_each_entry_once(shop):
    for n in range(4):
        order = earning_order(shop, 60 + n)
        move(order, "pay", "ship", "complete", now=order.created_at - timedelta(days=30))
    commissions.approve_due()
    forum = E.objects.filter(beneficiary="forum")
    results = at_once(
        [lambda r=r: payouts.record_for(entries=forum, up_to=date.today(), reference=r) for r in ("A-1", "A-2")]
    )
    assert unexpected(results) == []
    made = [p for r in results for p in r]
    assert len(made) == 1  # the other found nothing left to pay
    assert made[0].amount == Decimal("8.000") == forum.filter(status="paid").aggregate(s=Sum("amount"))["s"]
