"""The sweeper (services.schedule.sweep): opens what should be open, closes what is
overdue (one broken offer never blocks the rest), expires unpaid reservations, and a
second run changes nothing."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from community_commerce.errors import Conflict
from community_commerce.models import Claim, Offer, OfferReminder, Order, OrderEvent
from community_commerce.services import reminders
from community_commerce.services.claim import claim
from community_commerce.services.schedule import sweep
from forum.models import Notification, Post
from forum.services import subscriptions
from tests import factories
from tests.commerce.conftest import notes, thread_events

pytestmark = pytest.mark.django_db

GROUP_TERMS = {"unit_price": "20.00", "min_quantity": 10, "tiers": [{"min_quantity": 20, "unit_price": "17.50"}]}
NOTHING = {
    "opened": 0,
    "closed": 0,
    "failed": 0,
    "expired": 0,
    "told": 0,
    "approved": 0,
    "reminded": 0,
    "received": 0,
    "published": 0,
    "points": 0,
    "teams_failed": 0,
}


def fresh(obj):
    obj.refresh_from_db()
    return obj


def world():
    return (
        list(Offer.objects.order_by("id").values_list("status", "closed_at", "sold")),
        list(Claim.objects.order_by("id").values_list("status", flat=True)),
        list(Order.objects.order_by("id").values_list("status", flat=True)),
        OrderEvent.objects.count(),
        Post.objects.filter(kind=Post.Kind.EVENT).count(),
        Notification.objects.count(),
    )


@pytest.fixture
def soon():
    """A moment an hour ahead: offers end there, the sweeper runs after it."""
    return timezone.now().replace(microsecond=0) + timedelta(hours=1)


# --- Opening ----------------------------------------------------------------------------------


def test_sweep_opens_a_scheduled_offer_whose_start_has_come_and_reminds_once(
    merchant, merchant_thread, buyer, soon, django_capture_on_commit_callbacks
):
    offer = factories.offer(
        "flash_sale", merchant_=merchant, thread_=merchant_thread, starts_at=soon, ends_at=soon + timedelta(days=1),
        title="Tea tins",
    )  # fmt: skip
    later = factories.offer(
        "flash_sale", merchant_=merchant, thread_=merchant_thread, starts_at=soon + timedelta(hours=2),
        ends_at=soon + timedelta(days=1), title="Later tins",
    )  # fmt: skip
    watcher = factories.user("watcher")
    subscriptions.watch(user=watcher, thread=merchant_thread)
    assert reminders.remind(offer_id=offer.pk, user=buyer) is True
    assert reminders.remind(offer_id=offer.pk, user=buyer) is False  # asking twice is one reminder
    assert reminders.remind(offer_id=offer.pk, user=watcher) is True  # reminded *and* watching
    assert reminders.remind(offer_id=later.pk, user=buyer) is True

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=soon - timedelta(microseconds=1)) == NOTHING
    assert fresh(offer).status == Offer.Status.SCHEDULED

    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep(now=soon)
    assert counts == {**NOTHING, "opened": 1}
    offer = fresh(offer)
    assert offer.status == Offer.Status.LIVE
    assert offer.opened_at == soon
    assert fresh(later).status == Offer.Status.SCHEDULED
    assert thread_events(merchant_thread) == ["Flash sale is live: Tea tins"]
    assert [n.text for n in notes(buyer)] == ["“Tea tins” is live now."]
    assert [n.kind for n in notes(watcher)] == ["offer_live"]  # once, though both reminded and watching
    assert notes(merchant.user) == []
    assert OfferReminder.objects.get(offer=offer, user=buyer).notified_at == soon
    assert OfferReminder.objects.get(offer=later, user=buyer).notified_at is None

    before = world()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=soon + timedelta(seconds=5)) == NOTHING
    assert world() == before


def test_a_reminder_for_an_open_offer_is_refused(merchant, buyer):
    offer = factories.offer("flash_sale", merchant_=merchant)
    with pytest.raises(Conflict):
        reminders.remind(offer_id=offer.pk, user=buyer)


# --- Closing ----------------------------------------------------------------------------------


def test_sweep_closes_every_overdue_offer_and_leaves_running_ones(
    merchant, merchant_thread, buyers, soon, django_capture_on_commit_callbacks
):
    def make(kind, **kw):
        return factories.offer(kind, merchant_=merchant, thread_=merchant_thread, ends_at=soon, **kw)

    reached = make("group_buy", terms=GROUP_TERMS, title="Reached")
    short = make("group_buy", terms=GROUP_TERMS, title="Short")
    flash = make("flash_sale", stock=4, terms={"unit_price": "5.00", "reservation_minutes": 120})
    dutch = make("dutch_auction", stock=4, terms={**factories.OFFER_TERMS["dutch_auction"], "reservation_minutes": 120})
    running = factories.offer("flash_sale", merchant_=merchant, ends_at=soon + timedelta(days=1))
    for member in buyers:
        claim(offer_id=reached.pk, buyer=member, quantity=7)  # 21: the 20-unit tier
    claim(offer_id=short.pk, buyer=buyers[0], quantity=3)
    claim(offer_id=flash.pk, buyer=buyers[0], quantity=4)
    claim(offer_id=dutch.pk, buyer=buyers[1], quantity=1)

    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep(now=soon)  # exactly at the end: ends_at <= now is overdue
    assert counts == {**NOTHING, "closed": 4, "told": 6}  # told: each claim's "you joined / reserved"
    assert [fresh(o).status for o in (reached, short, flash, dutch, running)] == [
        "succeeded",
        "failed",
        "sold_out",
        "closed",
        "live",
    ]
    assert reached.result_unit_price == Decimal("17.50")
    assert Order.objects.filter(offer=reached).count() == 3
    assert running.closed_at is None
    assert sorted(thread_events(merchant_thread)) == [
        "Dutch auction ended: 1 of 4 units sold",
        "Flash sale ended, sold out: 4 units",
        "Group-buy failed: 3 of 10 units committed",
        "Group-buy succeeded: 21 units at 17.50 EUR",
    ]


def test_one_broken_offer_does_not_stop_the_others(merchant, buyers, soon, django_capture_on_commit_callbacks):
    first = factories.offer("group_buy", merchant_=merchant, terms=GROUP_TERMS, ends_at=soon)
    broken = factories.offer("group_buy", merchant_=merchant, terms=GROUP_TERMS, ends_at=soon)
    last = factories.offer("flash_sale", merchant_=merchant, ends_at=soon, terms={"unit_price": "5.00"})
    for offer in (first, broken):
        for member in buyers:
            claim(offer_id=offer.pk, buyer=member, quantity=4)
    # Bad data: its terms lost their fields, so the group-buy code raises when it closes it.
    Offer.objects.filter(pk=broken.pk).update(terms={"unit_price": "20.00"})

    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep(now=soon)
    assert counts == {**NOTHING, "closed": 2, "failed": 1, "told": 6}
    assert fresh(first).status == Offer.Status.SUCCEEDED
    assert fresh(last).status == Offer.Status.CLOSED
    broken = fresh(broken)
    assert (broken.status, broken.closed_at) == (Offer.Status.LIVE, None)  # rolled back whole: no half close
    assert set(Claim.objects.filter(offer=broken).values_list("status", flat=True)) == {"active"}
    assert not Order.objects.filter(offer=broken).exists()
    assert Order.objects.filter(offer=first).count() == 3
    assert thread_events(broken.thread_id) == []

    # The next sweep tries the broken one again and touches nothing else.
    before = world()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=soon + timedelta(seconds=5)) == {**NOTHING, "failed": 1}
    assert world() == before


# --- Expiring -----------------------------------------------------------------------------------


def test_sweep_expires_unpaid_reservations(merchant, buyers, django_capture_on_commit_callbacks):
    offer = factories.offer("flash_sale", merchant_=merchant, stock=5, terms={"unit_price": "5.00"})
    unpaid, _ = claim(offer_id=offer.pk, buyer=buyers[0], quantity=2)
    paid, _ = claim(offer_id=offer.pk, buyer=buyers[1], quantity=2)
    from community_commerce.services import orders

    orders.transition(order_id=paid.order.pk, to_status="paid", actor=merchant.user)
    due = unpaid.order.payment_due_at
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=due + timedelta(seconds=1)) == {**NOTHING, "expired": 1, "told": 2}
    assert Order.objects.get(claim=unpaid).status == Order.Status.EXPIRED
    assert Order.objects.get(claim=paid).status == Order.Status.PAID
    assert fresh(offer).stock_left == 3
    assert [n.kind for n in notes(buyers[0])] == ["offer_joined", "order_expired"]


# --- Twice ----------------------------------------------------------------------------------------


def test_running_the_sweeper_twice_changes_nothing_the_second_time(
    merchant, merchant_thread, buyers, soon, mailoutbox, django_capture_on_commit_callbacks
):
    scheduled = factories.offer(
        "group_buy", merchant_=merchant, thread_=merchant_thread, terms=GROUP_TERMS,
        starts_at=soon - timedelta(minutes=30), ends_at=soon + timedelta(days=1),
    )  # fmt: skip
    reminders.remind(offer_id=scheduled.pk, user=buyers[2])
    group = factories.offer("group_buy", merchant_=merchant, thread_=merchant_thread, terms=GROUP_TERMS, ends_at=soon)
    sale = factories.offer("flash_sale", merchant_=merchant, thread_=merchant_thread, terms={"unit_price": "5.00"})
    for member in buyers:
        claim(offer_id=group.pk, buyer=member, quantity=5)
    claim(offer_id=sale.pk, buyer=buyers[0], quantity=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=soon) == {**NOTHING, "opened": 1, "closed": 1, "expired": 1, "told": 4}
    before, mails = world(), len(mailoutbox)
    assert mails > 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=soon) == NOTHING
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=soon + timedelta(minutes=1)) == NOTHING
    assert world() == before
    assert len(mailoutbox) == mails


def test_an_offer_ending_before_the_next_sweep_is_not_closed_early(merchant, buyers, caplog):
    """The sweeper queues a precise close for it (run at once here: tasks are eager);
    a close that comes early must leave the offer open, and fail nowhere."""
    offer = factories.offer(
        "group_buy", merchant_=merchant, terms=GROUP_TERMS, ends_at=timezone.now() + timedelta(seconds=3)
    )
    for member in buyers:
        claim(offer_id=offer.pk, buyer=member, quantity=4)
    with caplog.at_level(logging.ERROR):
        assert sweep() == {**NOTHING, "told": 3}
    offer = fresh(offer)
    assert (offer.status, offer.closed_at) == (Offer.Status.LIVE, None)
    assert not Order.objects.exists()
    assert [r.getMessage()[:120] for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_an_offer_whose_whole_time_passed_unswept_is_closed_without_announcing_it_live(
    merchant, merchant_thread, buyer, soon, django_capture_on_commit_callbacks
):
    offer = factories.offer(
        "flash_sale", merchant_=merchant, thread_=merchant_thread, starts_at=soon, ends_at=soon + timedelta(hours=1),
        terms={"unit_price": "5.00"}, title="Night sale",
    )  # fmt: skip
    reminders.remind(offer_id=offer.pk, user=buyer)
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=soon + timedelta(hours=2))
    offer = fresh(offer)
    assert offer.status == Offer.Status.CLOSED
    assert notes(buyer, "offer_live") == []  # "“Night sale” is live now." would send them to an ended sale
    assert thread_events(merchant_thread) == ["Flash sale ended: 0 of 10 units sold"]
