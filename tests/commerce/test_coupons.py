"""Coupons (services/coupons.py): what they take off, where they apply, and uses that are
exact and come back exactly once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from community_commerce import errors
from community_commerce.errors import CommerceError, Conflict, InvalidInput, NotAllowed
from community_commerce.models import Claim, ClaimTally, Coupon, CouponGrant, CouponUse, Offer, Order
from community_commerce.services import coupons, lifecycle, orders
from community_commerce.services.claim import claim
from community_commerce.services.withdraw import withdraw
from tests import factories
from tests.commerce.conftest import thread_events

pytestmark = pytest.mark.django_db

GROUP_TERMS = {"unit_price": "20.00", "min_quantity": 3, "tiers": [{"min_quantity": 5, "unit_price": "18.00"}]}


def fresh(obj):
    obj.refresh_from_db()
    return obj


def make(offer, **fields):
    fields.setdefault("discount_type", "amount")
    fields.setdefault("value", "2.00")
    return coupons.create_coupon(user=offer.merchant.user, offer_id=offer.pk, **fields)


def state():
    """What a refused claim must not change."""
    return (
        list(Offer.objects.order_by("id").values_list("id", "sold", "status")),
        list(Claim.objects.order_by("id").values_list("id", "status")),
        list(Order.objects.order_by("id").values_list("id", "status")),
        list(Coupon.objects.order_by("id").values_list("id", "uses", "handed_out")),
        list(CouponUse.objects.order_by("id").values_list("id", "status")),
        list(ClaimTally.objects.order_by("id").values_list("id", "taken")),
    )


def refused(code, **claim_args):
    before = state()
    with pytest.raises(CommerceError) as caught:
        claim(**claim_args)
    assert caught.value.code == code, caught.value.message
    assert state() == before
    return caught.value


@pytest.fixture
def flash(merchant, merchant_thread):
    return factories.offer("flash_sale", merchant_=merchant, thread_=merchant_thread, stock=20, per_user_limit=5)


@pytest.fixture
def dutch(merchant, merchant_thread):
    """At its start price: it opened a second ago, well inside its first step (60 s)."""
    return factories.offer(
        "dutch_auction", merchant_=merchant, thread_=merchant_thread, stock=5,
        starts_at=timezone.now() - timedelta(seconds=1),
    )  # fmt: skip


@pytest.fixture
def group(merchant, merchant_thread):
    return factories.offer("group_buy", merchant_=merchant, thread_=merchant_thread, terms=GROUP_TERMS)


# --- What a coupon takes off -------------------------------------------------------------------------


def test_an_amount_coupon_makes_an_order_with_unit_price_discount_and_net_total(flash, buyer):
    make(flash, code="SPRING", value="1.50")
    taken, created = claim(offer_id=flash.pk, buyer=buyer, quantity=2, coupon="SPRING")
    order = taken.order
    assert created and order.unit_price == Decimal("9.90")
    assert order.discount == Decimal("3.00") and order.total == Decimal("16.80")
    assert taken.discount == Decimal("3.00") and order.coupon.code == "SPRING"
    assert fresh(Coupon.objects.get(code="SPRING")).uses == 1


def test_a_percent_coupon_is_rounded_half_up_in_the_currency_s_decimals(flash, buyer):
    make(flash, code="TEN", discount_type="percent", value="15")  # 15% of 9.90 = 1.485 -> 1.49
    order = claim(offer_id=flash.pk, buyer=buyer, quantity=3, coupon="TEN")[0].order
    assert order.discount == Decimal("4.47") and order.total == Decimal("25.23")


def test_a_coupon_never_takes_a_price_below_zero(flash, buyer):
    make(flash, code="FREE", value="9.90")
    order = claim(offer_id=flash.pk, buyer=buyer, quantity=1, coupon="FREE")[0].order
    assert order.discount == Decimal("9.90") and order.total == Decimal("0.00")
    make(flash, code="ALL", discount_type="percent", value="100")
    order = claim(offer_id=flash.pk, buyer=factories.user(), quantity=2, coupon="ALL")[0].order
    assert order.total == Decimal("0.00")


def test_a_coupon_never_takes_a_dutch_price_below_its_floor(dutch, buyer, clock):
    make(dutch, code="BIG", value="70.00")  # at 100.00 it could only go to the floor, 40.00
    order = claim(offer_id=dutch.pk, buyer=buyer, quantity=1, coupon="BIG")[0].order
    assert order.unit_price == Decimal("100.00") and order.discount == Decimal("60.00")
    assert order.total == Decimal("40.00")


def test_at_the_dutch_floor_a_coupon_takes_nothing_off_and_is_refused_unspent(dutch, buyer, clock):
    make(dutch, code="LATE", value="5.00")
    clock.advance(hours=2)  # far past the last step: the floor
    refused(errors.COUPON_NOT_APPLICABLE, offer_id=dutch.pk, buyer=buyer, quantity=1, coupon="LATE")


def test_codes_are_read_without_spaces_and_in_any_case(flash, buyer):
    make(flash, code=" spring 10 ")
    assert Coupon.objects.get().code == "SPRING10"
    taken, _ = claim(offer_id=flash.pk, buyer=buyer, quantity=1, coupon="  Spring 1 0")
    assert taken.order.discount == Decimal("2.00")


# --- Creating coupons ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"discount_type": "percent", "value": "101"}, "value"),
        ({"discount_type": "percent", "value": "0"}, "value"),
        ({"discount_type": "amount", "value": "10.00"}, "value"),  # above the price, 9.90
        ({"discount_type": "amount", "value": "1.001"}, "value"),  # EUR takes two decimals
        ({"discount_type": "amount", "value": "-1"}, "value"),
        ({"discount_type": "bogus", "value": "1"}, "discount_type"),
        ({"handout": True}, "max_uses"),  # a handout needs its number
        ({"code": "a b"}, "code"),
        ({"code": "ÜBER10"}, "code"),
        ({"channel": "Poster"}, "channel"),
        ({"starts_at": "2026-01-02T00:00:00+00:00", "ends_at": "2026-01-01T00:00:00+00:00"}, "ends_at"),
    ],
)
def test_a_bad_coupon_is_refused_with_invalid_coupon_and_nothing_is_made(flash, fields, field):
    with pytest.raises(InvalidInput) as caught:
        make(flash, **fields)
    assert caught.value.code == errors.INVALID_COUPON
    assert field in caught.value.fields
    assert not Coupon.objects.exists()


def test_only_the_offer_s_merchant_creates_its_coupons(flash, buyer):
    with pytest.raises(NotAllowed):
        coupons.create_coupon(user=buyer, offer_id=flash.pk, discount_type="amount", value="1")
    assert not Coupon.objects.exists()


def test_the_same_code_twice_on_one_offer_is_refused(flash):
    make(flash, code="ONCE")
    with pytest.raises(InvalidInput) as caught:
        make(flash, code="once")
    assert "code" in caught.value.fields


def test_a_handout_and_a_public_code_are_announced_in_the_thread(
    flash, merchant_thread, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make(flash, handout=True, max_uses=3, value="1.00")
        make(flash, code="SHOUT", discount_type="percent", value="10")
    events = thread_events(merchant_thread)
    assert "3 coupons dropped: 1.00 EUR off “A flash sale”. Take one from the offer." in events
    assert "Coupon code SHOUT: 10% off “A flash sale”." in events


# --- Refusals at claim time change nothing --------------------------------------------------------------


def test_an_unknown_code_is_invalid_coupon(flash, buyer):
    refused(errors.INVALID_COUPON, offer_id=flash.pk, buyer=buyer, quantity=1, coupon="NOPE")


def test_an_expired_code_is_invalid_coupon(flash, buyer, clock):
    make(flash, code="OLD", ends_at=clock.now + timedelta(minutes=5))
    clock.advance(minutes=6)
    refused(errors.INVALID_COUPON, offer_id=flash.pk, buyer=buyer, quantity=1, coupon="OLD")


def test_a_code_not_valid_yet_is_not_applicable(flash, buyer, clock):
    make(flash, code="SOON", starts_at=clock.now + timedelta(hours=1))
    refused(errors.COUPON_NOT_APPLICABLE, offer_id=flash.pk, buyer=buyer, quantity=1, coupon="SOON")


def test_a_code_of_another_offer_is_not_applicable(flash, dutch, buyer):
    make(dutch, code="DUTCHONLY")
    refused(errors.COUPON_NOT_APPLICABLE, offer_id=flash.pk, buyer=buyer, quantity=1, coupon="DUTCHONLY")


def test_too_few_units_for_the_coupon_is_not_applicable(flash, buyer):
    make(flash, code="THREE", min_quantity=3)
    refused(errors.COUPON_NOT_APPLICABLE, offer_id=flash.pk, buyer=buyer, quantity=2, coupon="THREE")
    assert claim(offer_id=flash.pk, buyer=buyer, quantity=3, coupon="three")[0].order.discount == Decimal("6.00")


def test_a_second_use_by_the_same_member_is_coupon_used_and_takes_no_stock(flash, buyer):
    make(flash, code="ONE")
    claim(offer_id=flash.pk, buyer=buyer, quantity=1, coupon="ONE")
    refused(errors.COUPON_USED, offer_id=flash.pk, buyer=buyer, quantity=1, coupon="ONE")
    assert fresh(flash).sold == 1


def test_a_used_up_code_is_coupons_gone(flash, buyer):
    make(flash, code="TWO", max_uses=2)
    claim(offer_id=flash.pk, buyer=factories.user(), quantity=1, coupon="TWO")
    claim(offer_id=flash.pk, buyer=factories.user(), quantity=1, coupon="TWO")
    refused(errors.COUPONS_GONE, offer_id=flash.pk, buyer=buyer, quantity=1, coupon="TWO")


def test_a_handout_coupon_must_be_taken_before_it_is_used(flash, buyer):
    coupon = make(flash, handout=True, max_uses=2)
    refused(errors.COUPON_NOT_APPLICABLE, offer_id=flash.pk, buyer=buyer, quantity=1, coupon=coupon.code)
    coupons.take(coupon_id=coupon.pk, member=buyer)
    assert claim(offer_id=flash.pk, buyer=buyer, quantity=1, coupon=coupon.code)[0].order.discount == Decimal("2.00")


# --- Handouts ------------------------------------------------------------------------------------------


def test_members_take_a_handout_one_each_until_it_is_gone(flash):
    coupon = make(flash, handout=True, max_uses=2)
    ann, ben, cat = (factories.user(n) for n in ("ann", "ben", "cat"))
    grant, created = coupons.take(coupon_id=coupon.pk, member=ann)
    assert created and grant.coupon.code == coupon.code
    again, created = coupons.take(coupon_id=coupon.pk, member=ann)
    assert not created and again.pk == grant.pk
    coupons.take(coupon_id=coupon.pk, member=ben)
    with pytest.raises(Conflict) as caught:
        coupons.take(coupon_id=coupon.pk, member=cat)
    assert caught.value.code == errors.COUPONS_GONE
    assert fresh(coupon).handed_out == 2
    assert CouponGrant.objects.count() == 2
    assert [g.coupon_id for g in coupons.my_coupons(ann)] == [coupon.pk]
    assert list(coupons.my_coupons(cat)) == []


def test_the_merchant_cannot_take_their_own_handout(flash):
    coupon = make(flash, handout=True, max_uses=2)
    with pytest.raises(NotAllowed):
        coupons.take(coupon_id=coupon.pk, member=flash.merchant.user)
    assert fresh(coupon).handed_out == 0


def test_a_taken_coupon_leaves_my_coupons_while_used_and_returns_when_given_back(flash, buyer):
    coupon = make(flash, handout=True, max_uses=2)
    coupons.take(coupon_id=coupon.pk, member=buyer)
    order = claim(offer_id=flash.pk, buyer=buyer, quantity=1, coupon=coupon.code)[0].order
    assert list(coupons.my_coupons(buyer)) == []
    orders.transition(order_id=order.pk, to_status=Order.Status.CANCELLED, actor=buyer)
    assert [g.coupon_id for g in coupons.my_coupons(buyer)] == [coupon.pk]


# --- Uses come back exactly once ------------------------------------------------------------------------


def test_an_expired_reservation_gives_its_use_back_once_even_swept_twice(flash, buyer, clock):
    coupon = make(flash, code="BACK", max_uses=1)
    order = claim(offer_id=flash.pk, buyer=buyer, quantity=1, coupon="BACK")[0].order
    clock.advance(minutes=16)
    assert lifecycle.expire_reservations() == 1
    assert lifecycle.expire_reservations() == 0
    orders.transition(order_id=order.pk, to_status=Order.Status.EXPIRED, actor=None)  # the task, delivered again
    assert fresh(coupon).uses == 0
    assert CouponUse.objects.get().status == CouponUse.Status.RELEASED
    again = claim(offer_id=flash.pk, buyer=buyer, quantity=1, coupon="BACK")[0]  # usable again, by anyone
    assert again.order.discount == Decimal("2.00") and fresh(coupon).uses == 1


def test_a_refunded_order_gives_its_use_back_once(flash, buyer):
    coupon = make(flash, code="CXL", max_uses=1)
    order = claim(offer_id=flash.pk, buyer=buyer, quantity=2, coupon="CXL")[0].order
    orders.transition(order_id=order.pk, to_status=Order.Status.PAID, actor=flash.merchant.user)
    orders.transition(order_id=order.pk, to_status=Order.Status.REFUNDED, actor=flash.merchant.user, reason="Sorry")
    orders.transition(order_id=order.pk, to_status=Order.Status.REFUNDED, actor=flash.merchant.user, reason="Sorry")
    assert fresh(coupon).uses == 0 and fresh(flash).sold == 0
    assert CouponUse.objects.filter(status="live").count() == 0


def test_a_completed_order_keeps_its_use(flash, buyer):
    coupon = make(flash, code="KEEP", max_uses=1)
    order = claim(offer_id=flash.pk, buyer=buyer, quantity=1, coupon="KEEP")[0].order
    for status in (Order.Status.PAID, Order.Status.SHIPPED):
        orders.transition(order_id=order.pk, to_status=status, actor=flash.merchant.user)
    orders.transition(order_id=order.pk, to_status=Order.Status.COMPLETED, actor=buyer)  # received
    assert fresh(coupon).uses == 1
    refused(errors.COUPONS_GONE, offer_id=flash.pk, buyer=factories.user(), quantity=1, coupon="KEEP")


def test_release_called_twice_gives_a_use_back_once(flash, buyer):
    coupon = make(flash, code="TWICE", max_uses=3)
    taken = claim(offer_id=flash.pk, buyer=buyer, quantity=1, coupon="TWICE")[0]
    claim(offer_id=flash.pk, buyer=factories.user(), quantity=1, coupon="TWICE")
    assert coupons.release(claim_ids=[taken.pk]) == 1
    assert coupons.release(claim_ids=[taken.pk]) == 0
    assert fresh(coupon).uses == 1


def test_a_withdrawn_commitment_gives_its_use_back_once(group, buyer):
    coupon = make(group, code="GBW", max_uses=1)
    taken = claim(offer_id=group.pk, buyer=buyer, quantity=2, coupon="GBW")[0]
    assert taken.discount == Decimal("4.00") and fresh(coupon).uses == 1
    assert withdraw(claim_id=taken.pk, buyer=buyer) is True
    assert withdraw(claim_id=taken.pk, buyer=buyer) is False
    assert fresh(coupon).uses == 0
    assert CouponUse.objects.get().status == CouponUse.Status.RELEASED


def test_a_group_buy_applies_the_coupon_at_the_close_after_the_tier_price(group, clock):
    make(group, code="TIER", discount_type="percent", value="10")
    with_coupon = claim(offer_id=group.pk, buyer=factories.user(), quantity=2, coupon="TIER")[0]
    assert with_coupon.discount == Decimal("4.00")  # 10% of 20.00, at the price of the moment
    claim(offer_id=group.pk, buyer=factories.user(), quantity=3)
    clock.set(group.ends_at)
    assert lifecycle.close_offer(offer_id=group.pk)
    order = Order.objects.get(claim=with_coupon)
    assert order.unit_price == Decimal("18.00")  # the tier reached with 5 units
    assert order.discount == Decimal("3.60") and order.total == Decimal("32.40")
    assert fresh(with_coupon).discount == Decimal("3.60")
    assert Order.objects.exclude(pk=order.pk).get().discount == 0
    assert Coupon.objects.get().uses == 1


def test_a_failed_group_buy_releases_every_use_once(group, clock):
    coupon = make(group, code="FAIL", max_uses=5)
    claim(offer_id=group.pk, buyer=factories.user(), quantity=1, coupon="FAIL")
    claim(offer_id=group.pk, buyer=factories.user(), quantity=1, coupon="FAIL")
    assert fresh(coupon).uses == 2
    clock.set(group.ends_at)
    assert lifecycle.close_offer(offer_id=group.pk)
    assert not lifecycle.close_offer(offer_id=group.pk)  # the close task delivered twice
    assert fresh(group).status == Offer.Status.FAILED
    assert fresh(coupon).uses == 0
    assert set(CouponUse.objects.values_list("status", flat=True)) == {"released"}
    assert coupons.release(offer_id=group.pk) == 0


def test_a_cancelled_offer_releases_commitments_and_orders_uses(group, flash, merchant):
    gb_coupon = make(group, code="GBX", max_uses=5)
    fs_coupon = make(flash, code="FSX", max_uses=5)
    claim(offer_id=group.pk, buyer=factories.user(), quantity=1, coupon="GBX")
    claim(offer_id=flash.pk, buyer=factories.user(), quantity=1, coupon="FSX")
    for offer in (group, flash):
        assert lifecycle.cancel_offer(offer_id=offer.pk, actor=merchant.user, reason="Storm")
        assert not lifecycle.cancel_offer(offer_id=offer.pk, actor=merchant.user, reason="Storm")
    assert fresh(gb_coupon).uses == 0 and fresh(fs_coupon).uses == 0


def test_orders_uses_and_stock_agree(flash):
    coupon = make(flash, code="BOOKS", max_uses=3)
    buyers = [factories.user() for _ in range(5)]
    for member in buyers:
        try:
            claim(offer_id=flash.pk, buyer=member, quantity=2, coupon="BOOKS")
        except Conflict:
            claim(offer_id=flash.pk, buyer=member, quantity=2)
    discounted = Order.objects.filter(coupon=coupon)
    assert discounted.count() == 3 == fresh(coupon).uses == CouponUse.objects.filter(status="live").count()
    assert fresh(flash).sold == Order.objects.aggregate(n=Sum("quantity"))["n"] == 10


# --- Idempotency ---------------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_and_coupon_returns_the_first_claim(flash, buyer):
    make(flash, code="RETRY")
    first, created = claim(offer_id=flash.pk, buyer=buyer, quantity=1, coupon="RETRY", idempotency_key="k1")
    again, created_again = claim(offer_id=flash.pk, buyer=buyer, quantity=1, coupon="retry ", idempotency_key="k1")
    assert created and not created_again and again.pk == first.pk
    assert Coupon.objects.get().uses == 1


def test_the_same_key_with_another_coupon_is_idempotency_key_reused(flash, buyer):
    make(flash, code="AAA")
    make(flash, code="BBB")
    claim(offer_id=flash.pk, buyer=buyer, quantity=1, coupon="AAA", idempotency_key="k2")
    refused(
        errors.IDEMPOTENCY_KEY_REUSED, offer_id=flash.pk, buyer=buyer, quantity=1, coupon="BBB", idempotency_key="k2"
    )
    refused(errors.IDEMPOTENCY_KEY_REUSED, offer_id=flash.pk, buyer=buyer, quantity=1, idempotency_key="k2")
