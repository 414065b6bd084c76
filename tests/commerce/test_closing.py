"""An offer's end (services.lifecycle): closing group-buys, flash sales and Dutch
auctions, cancelling, and expiring unpaid reservations."""

from datetime import timedelta
from decimal import Decimal

import pytest

from community_commerce import errors
from community_commerce.errors import Conflict, InvalidInput, NotAllowed
from community_commerce.models import Claim, ClaimTally, Offer, Order, OrderEvent
from community_commerce.services import lifecycle, orders
from community_commerce.services.claim import claim
from community_commerce.services.withdraw import withdraw
from forum.models import Notification, Post
from tests import factories
from tests.commerce.conftest import notes, thread_events

pytestmark = pytest.mark.django_db

GROUP_TERMS = {
    "unit_price": "20.00",
    "min_quantity": 10,
    "tiers": [{"min_quantity": 30, "unit_price": "17.50"}, {"min_quantity": 50, "unit_price": "15.00"}],
}


@pytest.fixture
def group(merchant, merchant_thread):
    return factories.offer("group_buy", merchant_=merchant, thread_=merchant_thread, terms=GROUP_TERMS, title="Rice")


def fresh(obj):
    obj.refresh_from_db()
    return obj


def world():
    """Everything a close or a cancel may create: nothing may appear twice."""
    return (
        Order.objects.count(),
        OrderEvent.objects.count(),
        Post.objects.filter(kind=Post.Kind.EVENT).count(),
        Notification.objects.count(),
        list(Claim.objects.order_by("id").values_list("status", flat=True)),
    )


# --- Group-buy succeeds ------------------------------------------------------------------------


def test_telling_the_buyers_of_a_success_twice_tells_each_buyer_once(group, buyers, django_capture_on_commit_callbacks):
    """The task that tells the buyers may be delivered twice (a worker dies after
    sending half): nobody hears twice, nobody is left out."""
    for member in buyers:
        claim(offer_id=group.pk, buyer=member, quantity=12)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.close_offer(offer_id=group.pk, now=group.ends_at)
    told = Notification.objects.filter(kind="offer_succeeded")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(m.pk for m in buyers)
    # Half the notes lost, as if the first delivery died half way; then delivered again, twice.
    told.filter(recipient=buyers[0]).delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.tell_group_buy_success(offer_id=group.pk, batch=1) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.tell_group_buy_success(offer_id=group.pk) == 0
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(m.pk for m in buyers)
    order = Order.objects.get(offer=group, buyer=buyers[0])
    assert order.number in told.get(recipient=buyers[0]).text


def test_succeeded_group_buy_turns_every_commitment_into_one_order_at_the_tier_price(
    group, merchant, buyers, mailoutbox, django_capture_on_commit_callbacks
):
    first, second, third = buyers
    leaver = factories.user("leaver")
    claims = [
        claim(offer_id=group.pk, buyer=first, quantity=10)[0],
        claim(offer_id=group.pk, buyer=first, quantity=2)[0],  # a second commitment: a second order
        claim(offer_id=group.pk, buyer=second, quantity=15)[0],
        claim(offer_id=group.pk, buyer=third, quantity=10)[0],
    ]
    gone, _ = claim(offer_id=group.pk, buyer=leaver, quantity=3)
    withdraw(claim_id=gone.pk, buyer=leaver)

    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=group.pk, now=group.ends_at) is True

    group = fresh(group)
    assert group.status == Offer.Status.SUCCEEDED
    assert group.closed_at == group.ends_at
    assert group.result_unit_price == Decimal("17.50")  # 37 units reached the 30-unit tier, not the base 20.00

    placed = {o.claim_id: o for o in Order.objects.filter(offer=group)}
    assert set(placed) == {c.pk for c in claims}
    for commitment in claims:
        order = placed[commitment.pk]
        assert order.buyer_id == commitment.buyer_id
        assert order.merchant == merchant
        assert order.quantity == commitment.quantity
        assert order.unit_price == Decimal("17.50")
        assert order.total == Decimal("17.50") * commitment.quantity
        assert order.currency == "EUR"
        assert order.status == Order.Status.PENDING_PAYMENT
        assert [(e.to_status, e.reason) for e in order.events.all()] == [("pending_payment", "group-buy succeeded")]
        commitment = fresh(commitment)
        assert commitment.status == Claim.Status.ORDERED
        assert commitment.unit_price == Decimal("17.50")
    assert fresh(gone).status == Claim.Status.WITHDRAWN

    assert thread_events(group.thread_id) == ["Group-buy succeeded: 37 units at 17.50 EUR"]
    for member in buyers:
        member_orders = Order.objects.filter(buyer=member)
        told = notes(member, "offer_succeeded")
        assert len(told) == member_orders.count()  # one note per order, naming it
        assert {o.number for o in member_orders} == {n.text.split("Your order ")[1].split(":")[0] for n in told}
    assert notes(leaver) == []
    emailed = sorted(m.to[0] for m in mailoutbox)
    assert emailed == sorted([first.email, first.email, second.email, third.email])


@pytest.mark.parametrize(
    ("quantities", "price"),
    [
        ((6, 4), "20.00"),  # exactly the minimum: the base price
        ((20, 9), "20.00"),  # one short of the first tier
        ((20, 10), "17.50"),  # exactly the first tier
        ((40, 9), "17.50"),  # one short of the second tier
        ((40, 10), "15.00"),  # exactly the second tier
        ((40, 24), "15.00"),  # above the last tier
    ],
)
def test_group_buy_price_is_the_tier_reached_at_the_close(quantities, price, group):
    for quantity in quantities:
        claim(offer_id=group.pk, buyer=factories.user(), quantity=quantity)
    lifecycle.close_offer(offer_id=group.pk, now=group.ends_at)
    assert fresh(group).result_unit_price == Decimal(price)
    assert sorted(Order.objects.values_list("unit_price", flat=True)) == [Decimal(price)] * len(quantities)
    assert sum(Order.objects.values_list("total", flat=True)) == Decimal(price) * sum(quantities)


def test_group_buy_at_a_price_without_an_exact_binary_form_closes(merchant, buyers):
    """19.90 * 3 is 59.699999999999996 in SQLite's float arithmetic; the orders' CHECK must still pass."""
    offer = factories.offer("group_buy", merchant_=merchant, terms={"unit_price": "19.90", "min_quantity": 5})
    claim(offer_id=offer.pk, buyer=buyers[0], quantity=3)
    claim(offer_id=offer.pk, buyer=buyers[1], quantity=7)
    assert lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at) is True
    assert sorted(Order.objects.values_list("total", flat=True)) == [Decimal("59.70"), Decimal("139.30")]


# --- Group-buy fails ---------------------------------------------------------------------------


def test_failed_group_buy_releases_every_commitment_and_tells_every_buyer(
    group, buyers, mailoutbox, django_capture_on_commit_callbacks
):
    taken = [claim(offer_id=group.pk, buyer=member, quantity=3)[0] for member in buyers]  # 9 of 10
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=group.pk, now=group.ends_at) is True
    group = fresh(group)
    assert group.status == Offer.Status.FAILED
    assert group.result_unit_price is None
    assert not Order.objects.exists()
    assert {fresh(c).status for c in taken} == {Claim.Status.RELEASED}
    assert thread_events(group.thread_id) == ["Group-buy failed: 9 of 10 units committed"]
    for member in buyers:
        (note,) = notes(member)
        assert note.kind == "offer_failed"
        assert "nothing to pay" in note.text
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.email for m in buyers)


def test_group_buy_without_any_commitment_fails_quietly(group, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=group.pk, now=group.ends_at) is True
    assert fresh(group).status == Offer.Status.FAILED
    assert thread_events(group.thread_id) == ["Group-buy failed: 0 of 10 units committed"]
    assert not Notification.objects.exists()


# --- Flash sales and Dutch auctions --------------------------------------------------------------


@pytest.mark.parametrize(("kind", "label"), [("flash_sale", "Flash sale"), ("dutch_auction", "Dutch auction")])
@pytest.mark.parametrize(
    ("quantities", "status", "event"),
    [
        ((1, 2), "closed", "{label} ended: 3 of 5 units sold"),
        ((), "closed", "{label} ended: 0 of 5 units sold"),
        ((2, 3), "sold_out", "{label} ended, sold out: 5 units"),
    ],
)
def test_sale_closes_as_closed_or_sold_out(
    kind, label, quantities, status, event, merchant, django_capture_on_commit_callbacks
):
    terms = {"unit_price": "5.00"} if kind == "flash_sale" else None
    offer = factories.offer(kind, merchant_=merchant, stock=5, terms=terms)
    for quantity in quantities:
        claim(offer_id=offer.pk, buyer=factories.user(), quantity=quantity)
    before = list(Order.objects.values_list("id", "status"))
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at) is True
    offer = fresh(offer)
    assert offer.status == status
    assert offer.closed_at == offer.ends_at
    assert thread_events(offer.thread_id)[-1] == event.format(label=label)
    assert list(Order.objects.values_list("id", "status")) == before  # reservations wait for payment as before


# --- When closing does nothing ------------------------------------------------------------------


def test_closing_before_the_end_does_nothing(group, buyers, django_capture_on_commit_callbacks):
    for member in buyers:
        claim(offer_id=group.pk, buyer=member, quantity=5)
    before = world()
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=group.pk, now=group.ends_at - timedelta(microseconds=1)) is False
        assert lifecycle.close_offer(offer_id=group.pk) is False  # the real clock: it ends tomorrow
    assert world() == before
    group = fresh(group)
    assert (group.status, group.closed_at) == (Offer.Status.LIVE, None)


def test_closing_twice_creates_nothing_the_second_time(group, buyers, mailoutbox, django_capture_on_commit_callbacks):
    for member in buyers:
        claim(offer_id=group.pk, buyer=member, quantity=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=group.pk, now=group.ends_at) is True
    after_first = (world(), len(mailoutbox), fresh(group).closed_at)
    assert after_first[0][0] == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=group.pk, now=group.ends_at + timedelta(minutes=5)) is False
    assert (world(), len(mailoutbox), fresh(group).closed_at) == after_first


def test_closing_a_cancelled_offer_does_nothing(group, buyers, django_capture_on_commit_callbacks):
    for member in buyers:
        claim(offer_id=group.pk, buyer=member, quantity=5)
    lifecycle.cancel_offer(offer_id=group.pk, actor=group.merchant.user, reason="Mill burnt down")
    before = world()
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=group.pk, now=group.ends_at) is False
    assert world() == before
    assert fresh(group).status == Offer.Status.CANCELLED


# --- Cancelling ------------------------------------------------------------------------------------


def test_cancelling_a_group_buy_releases_commitments_and_tells_buyers_why(
    group, buyers, mailoutbox, django_capture_on_commit_callbacks
):
    taken = [claim(offer_id=group.pk, buyer=member, quantity=4)[0] for member in buyers]
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.cancel_offer(offer_id=group.pk, actor=group.merchant.user, reason="  Mill   burnt down ")
    group = fresh(group)
    assert group.status == Offer.Status.CANCELLED
    assert group.cancel_reason == "Mill burnt down"
    assert group.closed_at is not None
    assert {fresh(c).status for c in taken} == {Claim.Status.RELEASED}
    assert not Order.objects.exists()
    assert thread_events(group.thread_id) == ["Group-buy cancelled by the merchant: Mill burnt down"]
    for member in buyers:
        (note,) = notes(member)
        assert note.kind == "offer_cancelled"
        assert "Mill burnt down" in note.text
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.email for m in buyers)

    before = world()
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.cancel_offer(offer_id=group.pk, actor=group.merchant.user, reason="again") is False
    assert world() == before
    assert fresh(group).cancel_reason == "Mill burnt down"


def test_cancelling_a_sale_cancels_pending_orders_and_refunds_paid_ones_with_the_reason(
    merchant, buyers, django_capture_on_commit_callbacks
):
    offer = factories.offer("flash_sale", merchant_=merchant, stock=10, terms={"unit_price": "5.00"})
    pending, paid, shipped = (claim(offer_id=offer.pk, buyer=member, quantity=2)[0] for member in buyers)
    orders.transition(order_id=paid.order.pk, to_status="paid", actor=merchant.user)
    orders.transition(order_id=shipped.order.pk, to_status="paid", actor=merchant.user)
    orders.transition(order_id=shipped.order.pk, to_status="shipped", actor=merchant.user)

    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.cancel_offer(offer_id=offer.pk, actor=merchant.user, reason="Wrong labels") is True

    for commitment, was, now in ((pending, "pending_payment", "cancelled"), (paid, "paid", "refunded")):
        order = Order.objects.get(claim=commitment)
        assert order.status == now
        last = order.events.last()
        assert (last.from_status, last.to_status, last.reason, last.actor) == (was, now, "Wrong labels", None)
        assert fresh(commitment).status == Claim.Status.CANCELLED
        (note,) = notes(commitment.buyer)
        assert note.kind == f"order_{now}"
        assert order.number in note.text and "Wrong labels" in note.text
    assert Order.objects.get(claim=shipped).status == Order.Status.SHIPPED  # already on its way: not touched
    assert notes(shipped.buyer) == []
    assert fresh(offer).status == Offer.Status.CANCELLED
    assert thread_events(offer.thread_id) == ["Flash sale cancelled by the merchant: Wrong labels"]


def test_staff_may_cancel_and_strangers_may_not(group, buyer):
    claim(offer_id=group.pk, buyer=buyer, quantity=2)
    for stranger in (buyer, factories.user(), factories.merchant().user):
        with pytest.raises(NotAllowed):
            lifecycle.cancel_offer(offer_id=group.pk, actor=stranger, reason="Because")
    assert fresh(group).status == Offer.Status.LIVE
    assert lifecycle.cancel_offer(offer_id=group.pk, actor=factories.staff(), reason="Counterfeit goods") is True
    assert fresh(group).status == Offer.Status.CANCELLED


def test_a_staff_cancellation_is_not_blamed_on_the_merchant(group, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_offer(offer_id=group.pk, actor=factories.staff(), reason="Counterfeit goods")
    (event,) = thread_events(group.thread_id)
    assert "Counterfeit goods" in event
    assert "by the merchant" not in event


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_cancelling_needs_a_reason(group, reason):
    with pytest.raises(InvalidInput) as exc:
        lifecycle.cancel_offer(offer_id=group.pk, actor=group.merchant.user, reason=reason)
    assert "reason" in exc.value.fields
    assert fresh(group).status == Offer.Status.LIVE


def test_a_closed_offer_cannot_be_cancelled(group, buyers):
    for member in buyers:
        claim(offer_id=group.pk, buyer=member, quantity=5)
    lifecycle.close_offer(offer_id=group.pk, now=group.ends_at)
    with pytest.raises(Conflict) as exc:
        lifecycle.cancel_offer(offer_id=group.pk, actor=group.merchant.user, reason="Too late")
    assert exc.value.code == errors.CLOSED
    assert fresh(group).status == Offer.Status.SUCCEEDED
    assert set(Order.objects.values_list("status", flat=True)) == {"pending_payment"}


# --- Unpaid reservations expire -------------------------------------------------------------------


@pytest.fixture
def sale(clock, merchant):
    return factories.offer(
        "flash_sale", merchant_=merchant, stock=4, per_user_limit=2, terms={"unit_price": "5.00"}, title="Mugs"
    )


def test_unpaid_reservation_expires_and_its_units_go_back_on_sale(
    clock, sale, buyer, django_capture_on_commit_callbacks
):
    taken, _ = claim(offer_id=sale.pk, buyer=buyer, quantity=2)
    claim(offer_id=sale.pk, buyer=factories.user(), quantity=2)
    assert fresh(sale).status == Offer.Status.SOLD_OUT
    due = taken.order.payment_due_at
    assert lifecycle.expire_reservations(now=due - timedelta(microseconds=1)) == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.expire_reservations(now=due) == 2
    order = Order.objects.get(claim=taken)
    assert order.status == Order.Status.EXPIRED
    last = order.events.last()
    assert (last.from_status, last.to_status, last.actor) == ("pending_payment", "expired", None)
    assert fresh(taken).status == Claim.Status.EXPIRED
    sale = fresh(sale)
    assert sale.stock_left == 4
    assert sale.status == Offer.Status.LIVE  # sold out no more: the sale is still running
    assert ClaimTally.objects.get(offer=sale, buyer=buyer).taken == 0
    (note,) = notes(buyer)
    assert note.kind == "order_expired"
    assert order.number in note.text
    assert len(notes(sale.merchant.user, "order_expired")) == 2

    again, created = claim(offer_id=sale.pk, buyer=buyer, quantity=2)  # the member's limit is free again
    assert created and again.pk != taken.pk


def test_paid_orders_never_expire(clock, sale, buyer):
    taken, _ = claim(offer_id=sale.pk, buyer=buyer, quantity=2)
    orders.transition(order_id=taken.order.pk, to_status="paid", actor=sale.merchant.user)
    assert lifecycle.expire_reservations(now=clock.now + timedelta(days=30)) == 0
    assert Order.objects.get(claim=taken).status == Order.Status.PAID
    assert fresh(sale).sold == 2


def test_expiring_twice_is_harmless(clock, sale, buyer, django_capture_on_commit_callbacks):
    taken, _ = claim(offer_id=sale.pk, buyer=buyer, quantity=2)
    later = taken.order.payment_due_at + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.expire_reservations(now=later) == 1
    before = (world(), fresh(sale).sold)
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.expire_reservations(now=later) == 0
    assert (world(), fresh(sale).sold) == before
    assert before[1] == 0


def test_a_sold_out_sale_that_has_ended_stays_ended_when_a_reservation_expires(clock, merchant, buyers):
    offer = factories.offer(
        "flash_sale",
        merchant_=merchant,
        stock=2,
        terms={"unit_price": "5.00"},
        ends_at=clock.now + timedelta(minutes=5),
    )
    taken, _ = claim(offer_id=offer.pk, buyer=buyers[0], quantity=2)
    assert lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at) is True
    assert fresh(offer).status == Offer.Status.SOLD_OUT
    assert lifecycle.expire_reservations(now=taken.order.payment_due_at) == 1
    offer = fresh(offer)
    assert offer.status == Offer.Status.SOLD_OUT  # not reopened: its time is over
    assert offer.closed_at == offer.ends_at
    with pytest.raises(Conflict) as exc:
        claim(offer_id=offer.pk, buyer=buyers[1], quantity=1)
    assert exc.value.code == errors.CLOSED
