"""Claiming (services.claim.claim): quantity, the clock, the member's limit, the stock
gate, idempotency, and the reservation order of flash sales and Dutch auctions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache

from community_commerce import errors
from community_commerce.errors import Conflict, InvalidInput, NotAllowed, NotFound
from community_commerce.models import Claim, ClaimTally, Offer, Order, OrderEvent
from community_commerce.services import claim_notices, lifecycle, orders
from community_commerce.services.claim import claim
from community_commerce.services.withdraw import withdraw
from tests import factories
from tests.commerce.conftest import notes, thread_events

pytestmark = pytest.mark.django_db

ONE_MICROSECOND = timedelta(microseconds=1)
GROUP_TERMS = {"unit_price": "20.00", "min_quantity": 10, "tiers": [{"min_quantity": 30, "unit_price": "18.00"}]}
FLASH_TERMS = {"unit_price": "9.50"}


@pytest.fixture
def flash(merchant, merchant_thread):
    return factories.offer(
        "flash_sale",
        merchant_=merchant,
        thread_=merchant_thread,
        stock=5,
        title="Tea tins",
        terms={"unit_price": "9.50"},
    )


@pytest.fixture
def group(merchant, merchant_thread):
    return factories.offer(
        "group_buy", merchant_=merchant, thread_=merchant_thread, title="Bulk rice", terms=GROUP_TERMS
    )


def fresh(offer):
    offer.refresh_from_db()
    return offer


def refused(exc_type, offer, buyer, quantity, **kwargs):
    """The claim is refused with exc_type and changes nothing."""
    before = (fresh(offer).sold, Claim.objects.count(), Order.objects.count())
    with pytest.raises(exc_type) as exc:
        claim(offer_id=offer.pk, buyer=buyer, quantity=quantity, **kwargs)
    assert (fresh(offer).sold, Claim.objects.count(), Order.objects.count()) == before
    return exc.value


# --- Quantity -----------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -1, "-1", "abc", "", " ", None, True, False, 1.5, "1.5", "2e1", 10_001])
def test_invalid_quantity_is_refused(quantity, flash, buyer):
    exc = refused(InvalidInput, flash, buyer, quantity)
    assert exc.code == "invalid_quantity"
    assert list(exc.fields) == ["quantity"]


@pytest.mark.parametrize("quantity", ["²", "٣", "1" * 5000])
def test_digits_int_cannot_read_are_refused_as_invalid_not_a_crash(quantity, flash, buyer):
    assert refused(InvalidInput, flash, buyer, quantity).code == "invalid_quantity"


def test_quantity_as_text_is_accepted(flash, buyer):
    taken, created = claim(offer_id=flash.pk, buyer=buyer, quantity=" 2 ")
    assert created
    assert taken.quantity == 2
    assert fresh(flash).sold == 2


def test_unknown_offer_is_not_found(buyer):
    with pytest.raises(NotFound):
        claim(offer_id=987_654, buyer=buyer, quantity=1)


# --- The clock decides --------------------------------------------------------------------------


def test_before_the_start_is_not_started(clock, merchant, buyer):
    offer = factories.offer("flash_sale", merchant_=merchant, starts_at=clock.now + timedelta(hours=1))
    assert refused(Conflict, offer, buyer, 1).code == errors.NOT_STARTED
    clock.set(offer.starts_at - ONE_MICROSECOND)
    assert refused(Conflict, offer, buyer, 1).code == errors.NOT_STARTED


def test_claim_at_the_start_is_taken_and_opens_a_scheduled_offer(clock, merchant, buyer):
    offer = factories.offer("flash_sale", merchant_=merchant, starts_at=clock.now + timedelta(hours=1))
    assert offer.status == Offer.Status.SCHEDULED
    clock.set(offer.starts_at)  # the sweeper has not run yet: the clock lets the buyer in anyway
    taken, created = claim(offer_id=offer.pk, buyer=buyer, quantity=1)
    assert created and taken.status == Claim.Status.ORDERED
    assert fresh(offer).status == Offer.Status.LIVE


def test_at_and_after_the_end_is_closed(clock, flash, buyer):
    clock.set(flash.ends_at - ONE_MICROSECOND)
    claim(offer_id=flash.pk, buyer=buyer, quantity=1)
    other = factories.user()
    for at in (flash.ends_at, flash.ends_at + ONE_MICROSECOND, flash.ends_at + timedelta(days=3)):
        clock.set(at)  # not closed by the sweeper yet: the clock still says no
        assert refused(Conflict, flash, other, 1).code == errors.CLOSED
    assert fresh(flash).sold == 1


def test_closed_offer_is_closed(group, buyer):
    lifecycle.close_offer(offer_id=group.pk, now=group.ends_at)
    assert refused(Conflict, group, buyer, 1).code == errors.CLOSED


def test_cancelled_offer_is_closed(flash, merchant, buyer):
    lifecycle.cancel_offer(offer_id=flash.pk, actor=merchant.user, reason="Out of tins")
    assert refused(Conflict, flash, buyer, 1).code == errors.CLOSED


def test_merchant_cannot_claim_their_own_offer(flash, merchant):
    exc = refused(NotAllowed, flash, merchant.user, 1)
    assert exc.code == errors.OWN_OFFER


# --- The member's limit -------------------------------------------------------------------------


def test_limit_counts_every_claim_of_the_member(merchant, buyer):
    offer = factories.offer("flash_sale", merchant_=merchant, stock=20, per_user_limit=3, terms=FLASH_TERMS)
    claim(offer_id=offer.pk, buyer=buyer, quantity=2)
    exc = refused(Conflict, offer, buyer, 2)
    assert exc.code == errors.LIMIT_EXCEEDED
    claim(offer_id=offer.pk, buyer=buyer, quantity=1)  # exactly up to the limit
    assert refused(Conflict, offer, buyer, 1).code == errors.LIMIT_EXCEEDED
    assert sum(Claim.objects.filter(offer=offer, buyer=buyer).values_list("quantity", flat=True)) == 3
    # another member has their own allowance
    claim(offer_id=offer.pk, buyer=factories.user(), quantity=3)
    assert fresh(offer).sold == 6


def test_more_than_the_limit_at_once_is_refused(merchant, buyer):
    offer = factories.offer("group_buy", merchant_=merchant, per_user_limit=3, terms=GROUP_TERMS)
    assert refused(Conflict, offer, buyer, 4).code == errors.LIMIT_EXCEEDED


def test_limit_is_freed_when_a_commitment_is_withdrawn(merchant, buyer):
    offer = factories.offer("group_buy", merchant_=merchant, per_user_limit=3, terms=GROUP_TERMS)
    first, _ = claim(offer_id=offer.pk, buyer=buyer, quantity=3)
    assert refused(Conflict, offer, buyer, 1).code == errors.LIMIT_EXCEEDED
    withdraw(claim_id=first.pk, buyer=buyer)
    again, created = claim(offer_id=offer.pk, buyer=buyer, quantity=3)
    assert created and again.quantity == 3


def test_limit_is_freed_when_the_order_is_cancelled(merchant, buyer):
    offer = factories.offer("flash_sale", merchant_=merchant, per_user_limit=2)
    first, _ = claim(offer_id=offer.pk, buyer=buyer, quantity=2)
    assert refused(Conflict, offer, buyer, 1).code == errors.LIMIT_EXCEEDED
    orders.transition(order_id=first.order.pk, to_status="cancelled", actor=buyer, reason="changed my mind")
    again, created = claim(offer_id=offer.pk, buyer=buyer, quantity=2)
    assert created and again.pk != first.pk


def test_limit_is_freed_when_the_reservation_expires(clock, merchant, buyer):
    offer = factories.offer("flash_sale", merchant_=merchant, per_user_limit=2, ends_at=clock.now + timedelta(days=1))
    first, _ = claim(offer_id=offer.pk, buyer=buyer, quantity=2)
    assert refused(Conflict, offer, buyer, 1).code == errors.LIMIT_EXCEEDED
    clock.set(first.order.payment_due_at)
    assert lifecycle.expire_reservations(now=clock.now) == 1
    _again, created = claim(offer_id=offer.pk, buyer=buyer, quantity=2)
    assert created
    assert ClaimTally.objects.get(offer=offer, buyer=buyer).taken == 2


# --- The stock gate -----------------------------------------------------------------------------


def test_claim_takes_units_from_the_stock(flash, buyer):
    claim(offer_id=flash.pk, buyer=buyer, quantity=3)
    assert fresh(flash).sold == 3
    assert flash.stock_left == 2


def test_more_than_is_left_is_sold_out_and_says_how_many_are_left(flash, buyer):
    claim(offer_id=flash.pk, buyer=buyer, quantity=3)
    exc = refused(Conflict, flash, factories.user(), 3)
    assert exc.code == errors.SOLD_OUT
    assert "2" in exc.message
    assert fresh(flash).status == Offer.Status.LIVE


def test_last_unit_sells_the_offer_out_and_returned_units_reopen_it(flash, buyer, django_capture_on_commit_callbacks):
    claim(offer_id=flash.pk, buyer=buyer, quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        last, _ = claim(offer_id=flash.pk, buyer=factories.user(), quantity=3)
    assert fresh(flash).status == Offer.Status.SOLD_OUT
    assert flash.stock_left == 0
    assert "Flash sale sold out: Tea tins" in thread_events(flash.thread_id)
    assert refused(Conflict, flash, factories.user(), 1).code == errors.SOLD_OUT

    orders.transition(order_id=last.order.pk, to_status="cancelled", actor=last.buyer)
    assert fresh(flash).status == Offer.Status.LIVE  # units came back before the end
    assert flash.stock_left == 3
    claim(offer_id=flash.pk, buyer=factories.user(), quantity=3)
    assert fresh(flash).status == Offer.Status.SOLD_OUT


def test_group_buy_without_stock_never_sells_out(group, buyers):
    for member in buyers:
        claim(offer_id=group.pk, buyer=member, quantity=500)
    assert fresh(group).sold == 1500
    assert group.status == Offer.Status.LIVE


# --- Idempotency --------------------------------------------------------------------------------


def test_same_idempotency_key_returns_the_same_claim_and_takes_stock_once(flash, buyer):
    first, created = claim(offer_id=flash.pk, buyer=buyer, quantity=2, idempotency_key="tap-1")
    again, created_again = claim(offer_id=flash.pk, buyer=buyer, quantity=2, idempotency_key="tap-1")
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert fresh(flash).sold == 2
    assert Claim.objects.filter(offer=flash).count() == 1
    assert Order.objects.filter(offer=flash).count() == 1


def test_idempotency_key_is_per_member_and_a_new_key_is_a_new_claim(flash, buyer):
    first, _ = claim(offer_id=flash.pk, buyer=buyer, quantity=1, idempotency_key="k")
    second, created = claim(offer_id=flash.pk, buyer=buyer, quantity=1, idempotency_key="k2")
    other, other_created = claim(offer_id=flash.pk, buyer=factories.user(), quantity=1, idempotency_key="k")
    assert created and other_created
    assert len({first.pk, second.pk, other.pk}) == 3
    assert fresh(flash).sold == 3


@pytest.mark.parametrize("cache_forgot", [False, True], ids=["key-cached", "key-only-in-database"])
def test_same_key_with_another_quantity_is_refused_and_changes_nothing(flash, buyer, cache_forgot):
    first, _ = claim(offer_id=flash.pk, buyer=buyer, quantity=2, idempotency_key="tap-1")
    if cache_forgot:  # Redis flushed between the two requests: the database still knows the key
        cache.clear()
    with pytest.raises(Conflict) as exc:
        claim(offer_id=flash.pk, buyer=buyer, quantity=3, idempotency_key="tap-1")
    assert exc.value.code == "idempotency_key_reused"
    assert exc.value.status == 409
    assert fresh(flash).sold == 2
    assert list(Claim.objects.filter(offer=flash).values_list("pk", "quantity")) == [(first.pk, 2)]
    # the same body with the same key is still a retry
    again, created = claim(offer_id=flash.pk, buyer=buyer, quantity=2, idempotency_key="tap-1")
    assert (again.pk, created) == (first.pk, False)


def test_too_long_idempotency_key_is_refused(flash, buyer):
    exc = refused(InvalidInput, flash, buyer, 1, idempotency_key="x" * 101)
    assert "idempotency_key" in exc.fields


# --- What a claim makes ---------------------------------------------------------------------------


def test_group_buy_claim_is_a_commitment_without_an_order(group, buyer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        taken, _ = claim(offer_id=group.pk, buyer=buyer, quantity=4)
    assert taken.status == Claim.Status.ACTIVE
    assert taken.unit_price == Decimal("20.00")
    assert not Order.objects.exists()
    assert fresh(group).sold == 4
    assert notes(buyer) == []  # the claim only writes its rows; the sweeper tells the buyer
    assert claim_notices.send_pending() == 1
    assert [n.kind for n in notes(buyer)] == ["offer_joined"]


def test_group_buy_claim_shows_the_tier_its_own_units_reach(group, buyers):
    first, _ = claim(offer_id=group.pk, buyer=buyers[0], quantity=25)
    second, _ = claim(offer_id=group.pk, buyer=buyers[1], quantity=5)  # 30: the 18.00 tier
    assert first.unit_price == Decimal("20.00")
    assert second.unit_price == Decimal("18.00")


def test_flash_sale_claim_reserves_with_an_order_waiting_for_payment(
    clock, merchant, buyer, django_capture_on_commit_callbacks
):
    offer = factories.offer(
        "flash_sale",
        merchant_=merchant,
        stock=10,
        currency="USD",
        terms={"unit_price": "9.50", "reservation_minutes": 20},
    )
    with django_capture_on_commit_callbacks(execute=True):
        taken, _ = claim(offer_id=offer.pk, buyer=buyer, quantity=3)
    order = Order.objects.get(claim=taken)
    assert taken.status == Claim.Status.ORDERED
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.buyer == buyer
    assert order.merchant == merchant
    assert order.quantity == 3
    assert order.unit_price == Decimal("9.50")
    assert order.total == Decimal("28.50")
    assert isinstance(order.total, Decimal)
    assert order.currency == "USD"
    assert order.payment_due_at == clock.now + timedelta(minutes=20)
    assert order.number.startswith("CC-")
    (event,) = OrderEvent.objects.filter(order=order)
    assert (event.actor, event.to_status) == (buyer, "pending_payment")
    claim_notices.send_pending()
    assert [n.kind for n in notes(buyer)] == ["offer_joined"]


def test_reservation_uses_the_default_of_fifteen_minutes(clock, merchant, buyer):
    offer = factories.offer("flash_sale", merchant_=merchant, terms={"unit_price": "5.00"})
    taken, _ = claim(offer_id=offer.pk, buyer=buyer, quantity=1)
    assert taken.order.payment_due_at == clock.now + timedelta(minutes=15)


@pytest.mark.parametrize(
    ("after", "price"),
    [
        (timedelta(0), "100.00"),
        (timedelta(seconds=60) - ONE_MICROSECOND, "100.00"),
        (timedelta(seconds=60), "95.00"),
        (timedelta(seconds=150), "90.00"),
        (timedelta(hours=2), "40.00"),
    ],
)
def test_dutch_auction_claim_pays_the_price_of_the_moment(after, price, clock, merchant, buyer):
    starts = clock.now
    offer = factories.offer("dutch_auction", merchant_=merchant, starts_at=starts, stock=10)
    clock.set(starts + after)
    taken, _ = claim(offer_id=offer.pk, buyer=buyer, quantity=2)
    order = taken.order
    assert taken.unit_price == order.unit_price == Decimal(price)
    assert order.total == Decimal(price) * 2
    assert order.payment_due_at == starts + after + timedelta(minutes=15)
    clock.advance(minutes=10)  # the price keeps falling; the order keeps the price it was made at
    order.refresh_from_db()
    assert order.unit_price == Decimal(price)


@pytest.mark.parametrize(
    ("price", "quantity", "total"), [("9.90", 3, "29.70"), ("19.90", 7, "139.30"), ("0.10", 3, "0.30")]
)
def test_reservation_total_is_exact_for_any_price(price, quantity, total, merchant, buyer):
    """SQLite multiplies DECIMAL columns as floats (9.90 * 3 = 29.700000000000003): the
    order's CHECK on its total must still accept the exact Decimal total."""
    offer = factories.offer("flash_sale", merchant_=merchant, stock=10, terms={"unit_price": price})
    taken, _ = claim(offer_id=offer.pk, buyer=buyer, quantity=quantity)
    assert taken.order.total == Decimal(total)
    assert fresh(offer).sold == quantity
