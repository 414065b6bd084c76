"""Races on PostgreSQL: the row count of a conditional UPDATE decides who wins.

Each test starts real threads (each with its own database connection, closed at
the end) released together by a barrier, then checks that money and stock add up.
SQLite serialises every writer, so these races cannot happen there: skipped."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from community_commerce import errors
from community_commerce.errors import Conflict
from community_commerce.models import Claim, ClaimTally, Offer, Order, OrderEvent
from community_commerce.services import lifecycle
from community_commerce.services.claim import claim
from community_commerce.services.withdraw import withdraw
from forum.models import Notification, Post
from tests import factories


def on_postgresql():
    from django.db import connection as default_connection

    return default_connection.vendor == "postgresql"


pytestmark = [
    pytest.mark.skipif(
        not on_postgresql(),
        reason="PostgreSQL only: SQLite lets one writer in at a time, so these races cannot be staged there",
    ),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

GROUP_TERMS = {"unit_price": "20.00", "min_quantity": 10, "tiers": [{"min_quantity": 20, "unit_price": "17.50"}]}


def at_once(calls):
    """Run every call in its own thread, all released at the same moment; return
    each call's result, or the exception it raised, in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (a deadlock?)"
    return results


def codes(results):
    return sorted(r.code for r in results if isinstance(r, Conflict))


def unexpected(results):
    return [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]


@pytest.mark.parametrize("round_", range(3))
def test_two_closes_at_the_same_moment_close_once(round_):
    merchant = factories.merchant()
    offer = factories.offer(
        "group_buy", merchant_=merchant, terms=GROUP_TERMS, ends_at=timezone.now() + timedelta(hours=1)
    )
    buyers = [factories.user() for _ in range(4)]
    for member in buyers:
        claim(offer_id=offer.pk, buyer=member, quantity=5)

    results = at_once([lambda: lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at)] * 2)

    assert sorted(results) == [False, True]
    offer.refresh_from_db()
    assert offer.status == Offer.Status.SUCCEEDED
    assert Order.objects.filter(offer=offer).count() == 4
    assert sorted(Order.objects.filter(offer=offer).values_list("claim__buyer_id", flat=True)) == sorted(
        m.pk for m in buyers
    )
    assert OrderEvent.objects.filter(order__offer=offer).count() == 4
    assert (
        Post.objects.filter(
            thread_id=offer.thread_id, kind=Post.Kind.EVENT, body__startswith="Group-buy succeeded"
        ).count()
        == 1
    )
    assert Notification.objects.filter(kind="offer_succeeded").count() == 4


def test_twenty_buyers_rush_five_units_and_exactly_five_are_sold():
    merchant = factories.merchant()
    offer = factories.offer("flash_sale", merchant_=merchant, stock=5, terms={"unit_price": "5.00"})
    buyers = [factories.user() for _ in range(20)]

    results = at_once([lambda m=m: claim(offer_id=offer.pk, buyer=m, quantity=1) for m in buyers])

    assert unexpected(results) == []
    won = [r for r in results if isinstance(r, tuple)]
    assert len(won) == 5
    assert codes(results) == [errors.SOLD_OUT] * 15
    offer.refresh_from_db()
    assert offer.sold == 5
    assert offer.status == Offer.Status.SOLD_OUT
    assert sum(Order.objects.filter(offer=offer).values_list("quantity", flat=True)) == 5
    assert Claim.objects.filter(offer=offer).count() == 5


def test_a_rush_of_mixed_quantities_never_oversells():
    merchant = factories.merchant()
    offer = factories.offer("dutch_auction", merchant_=merchant, stock=5)
    buyers = [factories.user() for _ in range(20)]

    results = at_once(
        [lambda i=i, m=m: claim(offer_id=offer.pk, buyer=m, quantity=1 + i % 3) for i, m in enumerate(buyers)]
    )

    assert unexpected(results) == []
    assert set(codes(results)) <= {errors.SOLD_OUT}
    offer.refresh_from_db()
    sold_in_orders = sum(Order.objects.filter(offer=offer).values_list("quantity", flat=True))
    assert offer.sold == sold_in_orders == sum(r[0].quantity for r in results if isinstance(r, tuple))
    assert 3 <= offer.sold <= 5  # whoever came first, at most two units can be left over


def test_one_member_claiming_from_four_sessions_cannot_pass_the_limit():
    merchant = factories.merchant()
    offer = factories.offer("flash_sale", merchant_=merchant, stock=10, per_user_limit=2, terms={"unit_price": "5.00"})
    member = factories.user()

    results = at_once([lambda: claim(offer_id=offer.pk, buyer=member, quantity=1)] * 4)

    assert unexpected(results) == []
    assert len([r for r in results if isinstance(r, tuple)]) == 2
    assert codes(results) == [errors.LIMIT_EXCEEDED] * 2
    offer.refresh_from_db()
    assert offer.sold == 2
    assert ClaimTally.objects.get(offer=offer, buyer=member).taken == 2
    assert sum(Order.objects.filter(buyer=member).values_list("quantity", flat=True)) == 2


def test_the_same_idempotency_key_from_two_sessions_takes_stock_once():
    merchant = factories.merchant()
    offer = factories.offer("flash_sale", merchant_=merchant, stock=10, terms={"unit_price": "5.00"})
    member = factories.user()

    results = at_once([lambda: claim(offer_id=offer.pk, buyer=member, quantity=3, idempotency_key="tap")] * 2)

    assert unexpected(results) == []
    assert len({r[0].pk for r in results}) == 1
    assert sorted(r[1] for r in results) == [False, True]
    offer.refresh_from_db()
    assert offer.sold == 3
    assert Order.objects.filter(offer=offer).count() == 1


@pytest.mark.parametrize("round_", range(3))
def test_close_while_members_withdraw_leaves_every_claim_in_exactly_one_state(round_):
    merchant = factories.merchant()
    offer = factories.offer(
        "group_buy",
        merchant_=merchant,
        terms={"unit_price": "20.00", "min_quantity": 5},
        ends_at=timezone.now() + timedelta(hours=1),
    )
    buyers = [factories.user() for _ in range(8)]
    claims = {m.pk: claim(offer_id=offer.pk, buyer=m, quantity=2)[0] for m in buyers}
    leavers = buyers[:6]

    calls = [lambda: lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at)]
    calls += [lambda m=m: withdraw(claim_id=claims[m.pk].pk, buyer=m) for m in leavers]
    results = at_once(calls)

    assert results[0] is True
    assert unexpected(results[1:]) == []
    assert set(codes(results[1:])) <= {errors.CLOSED}
    offer.refresh_from_db()
    states = dict(Claim.objects.filter(offer=offer).values_list("buyer_id", "status"))
    withdrawn = {m.pk for m, r in zip(leavers, results[1:], strict=True) if r is True}
    assert {b for b, s in states.items() if s == Claim.Status.WITHDRAWN} == withdrawn
    kept = set(states) - withdrawn
    final = Claim.Status.ORDERED if offer.status == Offer.Status.SUCCEEDED else Claim.Status.RELEASED
    assert {states[b] for b in kept} == {final}
    assert offer.sold == 2 * len(kept)
    assert offer.status == (Offer.Status.SUCCEEDED if offer.sold >= 5 else Offer.Status.FAILED)
    ordered = set(Order.objects.filter(offer=offer).values_list("buyer_id", flat=True))
    assert ordered == (kept if final == Claim.Status.ORDERED else set())
    assert Order.objects.filter(offer=offer).count() == len(ordered)


def test_claims_arriving_while_the_group_buy_closes_are_either_ordered_or_refused():
    merchant = factories.merchant()
    offer = factories.offer(
        "group_buy", merchant_=merchant, terms=GROUP_TERMS, ends_at=timezone.now() + timedelta(hours=1)
    )
    for _ in range(3):
        claim(offer_id=offer.pk, buyer=factories.user(), quantity=4)
    late = [factories.user() for _ in range(6)]

    calls = [lambda: lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at)]
    calls += [lambda m=m: claim(offer_id=offer.pk, buyer=m, quantity=2) for m in late]
    results = at_once(calls)

    assert results[0] is True
    assert unexpected(results[1:]) == []
    assert set(codes(results[1:])) <= {errors.CLOSED}
    offer.refresh_from_db()
    assert not Claim.objects.filter(offer=offer, status=Claim.Status.ACTIVE).exists()  # nobody left waiting
    in_time = {r[0].buyer_id for r in results[1:] if isinstance(r, tuple)}
    assert set(Order.objects.filter(offer=offer).values_list("buyer_id", flat=True)) >= in_time
    assert offer.sold == 12 + 2 * len(in_time)
    assert sum(Order.objects.filter(offer=offer).values_list("quantity", flat=True)) == offer.sold
    assert Claim.objects.filter(offer=offer).count() == 3 + len(in_time)


def lock_waiters():
    """Sessions of this test database waiting for a lock held by another one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def staged(first, second):
    """``first`` runs in a transaction that stays open until ``second``, started
    in another thread, is seen waiting for one of its locks; then it commits.
    Returns (first's result, second's result), exceptions included."""
    holding, release = threading.Event(), threading.Event()
    results = [None, None]

    def run_first():
        try:
            with transaction.atomic():
                results[0] = first()
                holding.set()
                assert release.wait(timeout=30)
        except Exception as exc:
            results[0] = exc
        finally:
            holding.set()
            connection.close()

    def run_second():
        try:
            results[1] = second()
        except Exception as exc:
            results[1] = exc
        finally:
            connection.close()

    one = threading.Thread(target=run_first)
    one.start()
    assert holding.wait(timeout=30)
    two = threading.Thread(target=run_second)
    two.start()
    deadline = time.monotonic() + 20
    while lock_waiters() == 0 and two.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    one.join(timeout=30)
    two.join(timeout=30)
    assert not one.is_alive() and not two.is_alive()
    return results


@pytest.fixture
def two_reservations():
    """Two reservations due at the same moment; the sweeper meets ``paid_soon`` first."""
    merchant = factories.merchant()
    offer = factories.offer("flash_sale", merchant_=merchant, stock=5, terms={"unit_price": "5.00"})
    unpaid = claim(offer_id=offer.pk, buyer=factories.user(), quantity=1)[0].order
    paid_soon = claim(offer_id=offer.pk, buyer=factories.user(), quantity=2)[0].order
    due = max(unpaid.payment_due_at, paid_soon.payment_due_at)
    return merchant, offer, unpaid, paid_soon, due


def test_a_reservation_expired_while_the_merchant_marks_it_paid_refuses_the_payment(two_reservations):
    from community_commerce.services import orders

    merchant, offer, _unpaid, order, due = two_reservations
    swept, paying = staged(
        lambda: lifecycle.expire_reservations(now=due),
        lambda: orders.transition(order_id=order.pk, to_status="paid", actor=merchant.user),
    )
    assert swept == 2
    assert isinstance(paying, Conflict) and paying.code == errors.INVALID_TRANSITION
    order.refresh_from_db()
    offer.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    assert [e.to_status for e in order.events.all()] == ["pending_payment", "expired"]
    assert offer.sold == 0


def test_a_reservation_paid_while_the_sweeper_expires_it_stays_paid_and_the_others_expire(two_reservations):
    from community_commerce.services import orders
    from community_commerce.services.schedule import sweep

    merchant, offer, unpaid, order, due = two_reservations
    paid, swept = staged(
        lambda: orders.transition(order_id=order.pk, to_status="paid", actor=merchant.user),
        lambda: sweep(now=due),
    )
    assert paid[1] is True
    assert not isinstance(swept, Exception), swept
    assert swept["expired"] == 1
    order.refresh_from_db()
    unpaid.refresh_from_db()
    offer.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert [e.to_status for e in order.events.all()] == ["pending_payment", "paid"]
    assert unpaid.status == Order.Status.EXPIRED
    assert offer.sold == 2


@pytest.mark.parametrize("round_", range(3))
def test_claims_and_cancellations_of_one_member_at_once_never_deadlock(round_):
    """A crowd sale's claim takes the member's tally before the offer row; giving units
    back takes them in the same order. The same member claiming while the merchant
    cancels their earlier reservations (tally and offer in both) must never deadlock."""
    from community_commerce.services import orders

    merchant = factories.merchant()
    offer = factories.offer(
        "flash_sale", merchant_=merchant, stock=100, per_user_limit=50, terms={"unit_price": "5.00"}
    )
    buyer = factories.user()
    earlier = [claim(offer_id=offer.pk, buyer=buyer, quantity=1)[0].order for _ in range(6)]
    calls = [lambda: claim(offer_id=offer.pk, buyer=buyer, quantity=1) for _ in range(6)]
    calls += [
        lambda o=o: orders.transition(order_id=o.pk, to_status="cancelled", actor=merchant.user, reason="sorry")
        for o in earlier
    ]
    results = at_once(calls)
    assert unexpected(results) == []
    offer.refresh_from_db()
    held = Claim.objects.filter(offer=offer, status__in=Claim.HOLDING)
    assert held.count() == 6
    assert offer.sold == 6 == ClaimTally.objects.get(offer=offer, buyer=buyer).taken


def test_two_sweeps_at_once_tell_each_claim_once():
    """The claims' notices are taken with skip_locked: two sweeps share the work, never repeat it."""
    from community_commerce.services import claim_notices

    offer = factories.offer("flash_sale", stock=100, terms={"unit_price": "5.00"})
    buyers = [factories.user() for _ in range(40)]
    for member in buyers:
        claim(offer_id=offer.pk, buyer=member, quantity=1)
    results = at_once([lambda: claim_notices.send_pending(limit=25) for _ in range(4)])
    assert unexpected(results) == []
    assert sum(results) == 40
    told = Notification.objects.filter(kind="offer_joined")
    assert told.count() == 40 == told.values("recipient").distinct().count()
