"""Coupon races on PostgreSQL: threads released together by a barrier (the helpers of
test_concurrency.py). A use is taken by one conditional UPDATE and a unique live use per
member, and given back by one conditional UPDATE of its row: exact however they race."""

from datetime import timedelta

import pytest

from community_commerce import errors
from community_commerce.models import Coupon, CouponGrant, CouponUse, Order
from community_commerce.services import coupons, lifecycle, orders
from community_commerce.services.claim import claim
from community_commerce.services.withdraw import withdraw
from tests import factories
from tests.commerce.test_concurrency import at_once, codes, pytestmark, unexpected  # noqa: F401 - the marks

GROUP_TERMS = {"unit_price": "20.00", "min_quantity": 10, "tiers": []}


def fresh(obj):
    obj.refresh_from_db()
    return obj


@pytest.mark.parametrize("round_", range(3))
def test_twenty_buyers_race_for_a_coupon_of_five_uses(round_):
    offer = factories.offer("flash_sale", stock=50, terms={"unit_price": "5.00"})
    coupon = coupons.create_coupon(
        user=offer.merchant.user, offer_id=offer.pk, code="RACE", discount_type="amount", value="1", max_uses=5
    )
    buyers = [factories.user() for _ in range(20)]
    results = at_once([lambda m=m: claim(offer_id=offer.pk, buyer=m, quantity=1, coupon="RACE") for m in buyers])
    assert unexpected(results) == []
    assert codes(results) == [errors.COUPONS_GONE] * 15
    assert fresh(coupon).uses == 5 == Order.objects.filter(coupon=coupon).count()
    assert fresh(offer).sold == 5  # a refused coupon took no stock


def test_one_member_from_six_sessions_uses_a_coupon_once():
    offer = factories.offer("flash_sale", stock=50, terms={"unit_price": "5.00"})
    coupon = coupons.create_coupon(
        user=offer.merchant.user, offer_id=offer.pk, code="SOLO", discount_type="amount", value="1", max_uses=10
    )
    member = factories.user()
    results = at_once([lambda: claim(offer_id=offer.pk, buyer=member, quantity=1, coupon="SOLO")] * 6)
    assert unexpected(results) == []
    assert codes(results) == [errors.COUPON_USED] * 5
    assert fresh(coupon).uses == 1 and fresh(offer).sold == 1


def test_ten_members_race_for_three_handouts_and_one_member_from_two_sessions_gets_one():
    offer = factories.offer("flash_sale", stock=50)
    coupon = coupons.create_coupon(
        user=offer.merchant.user, offer_id=offer.pk, discount_type="amount", value="1", max_uses=3, handout=True
    )
    members = [factories.user() for _ in range(10)]
    twice = members[0]
    results = at_once([lambda m=m: coupons.take(coupon_id=coupon.pk, member=m) for m in [*members, twice]])
    assert unexpected(results) == []
    assert fresh(coupon).handed_out == 3 == CouponGrant.objects.filter(coupon=coupon).count()
    assert CouponGrant.objects.filter(coupon=coupon, member=twice).count() <= 1
    assert set(codes(results)) == {errors.COUPONS_GONE}


def test_an_expiry_delivered_twice_at_once_gives_the_use_back_once():
    offer = factories.offer("flash_sale", stock=50)
    coupon = coupons.create_coupon(
        user=offer.merchant.user, offer_id=offer.pk, code="EXP", discount_type="amount", value="1", max_uses=3
    )
    order = claim(offer_id=offer.pk, buyer=factories.user(), quantity=1, coupon="EXP")[0].order
    claim(offer_id=offer.pk, buyer=factories.user(), quantity=1, coupon="EXP")
    later = order.payment_due_at + timedelta(seconds=1)
    results = at_once(
        [lambda: orders.transition(order_id=order.pk, to_status=Order.Status.EXPIRED, actor=None, now=later)] * 2
        + [lambda: lifecycle.expire_reservations(now=later)] * 2
    )
    assert unexpected(results) == []
    assert fresh(coupon).uses == 0  # both reservations were due: each use came back once
    assert CouponUse.objects.filter(coupon=coupon, status="released").count() == 2
    assert fresh(offer).sold == 0
    assert Order.objects.filter(offer=offer, status="expired").count() == 2


def test_a_withdraw_racing_the_failed_close_gives_the_use_back_once():
    offer = factories.offer("group_buy", terms=GROUP_TERMS)
    coupon = coupons.create_coupon(
        user=offer.merchant.user, offer_id=offer.pk, code="GBR", discount_type="amount", value="1", max_uses=5
    )
    member = factories.user()
    taken = claim(offer_id=offer.pk, buyer=member, quantity=1, coupon="GBR")[0]
    claim(offer_id=offer.pk, buyer=factories.user(), quantity=1, coupon="GBR")
    results = at_once(
        [lambda: withdraw(claim_id=taken.pk, buyer=member)]
        + [lambda: lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at)] * 2
    )
    assert [r for r in results if isinstance(r, Exception) and getattr(r, "code", "") != errors.CLOSED] == []
    assert fresh(coupon).uses == 0
    assert CouponUse.objects.filter(coupon=coupon, status="live").count() == 0
    assert Coupon.objects.get(pk=coupon.pk).uses == 0
