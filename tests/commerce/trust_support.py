"""Builders for the buyer-protection tests: a shop with a live flash sale, its buyer, staff,
a forum moderator and a stranger, and orders brought to any status through the services
(never by writing a status), with the clock moved where a test needs "11 days ago"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from community_commerce.errors import CommerceError
from community_commerce.models import (
    Claim,
    ClaimTally,
    Dispute,
    DisputeMessage,
    Offer,
    Order,
    OrderEvent,
    Rating,
    ReceiptReminder,
)
from community_commerce.services import coupons, disputes, orders, ratings
from community_commerce.services.claim import claim
from tests import factories

S = Order.Status


class Shop:
    def __init__(self, *, stock=10, price="5.00", name="Corner Grocer", per_user_limit=5, buyer="buyer"):
        self.seller = factories.user("seller")
        self.merchant = factories.merchant(self.seller, display_name=name)
        self.buyer = factories.user(buyer)
        self.staff = factories.staff("staffer")
        self.moderator = factories.moderator("modder")
        self.stranger = factories.user("stranger")
        self.offer = factories.offer(
            "flash_sale", merchant_=self.merchant, stock=stock, per_user_limit=per_user_limit,
            terms={"unit_price": price, "reservation_minutes": 15},
        )  # fmt: skip

    def order(self, status=S.PENDING_PAYMENT, *, buyer=None, quantity=1, shipped_days_ago=None, coupon=None):
        """An order of ``buyer`` (default: the shop's buyer) in ``status``, made the way
        members make it (with ``coupon``, a code). ``shipped_days_ago`` moves its "shipped"
        event into the past."""
        buyer = buyer or self.buyer
        taken, _ = claim(offer_id=self.offer.pk, buyer=buyer, quantity=quantity, coupon=coupon)
        order = taken.order
        steps = {
            S.PENDING_PAYMENT: [],
            S.PAID: [S.PAID],
            S.SHIPPED: [S.PAID, S.SHIPPED],
            S.COMPLETED: [S.PAID, S.SHIPPED, S.COMPLETED],
            S.DISPUTED: [S.PAID, S.SHIPPED, S.DISPUTED],
            S.REFUNDED: [S.PAID, S.REFUNDED],
        }[status]
        for step in steps:
            if step == S.DISPUTED:
                disputes.open_dispute(order_id=order.pk, buyer=buyer, reason="not_received", details="Nothing came.")
            elif step == S.COMPLETED:
                orders.transition(order_id=order.pk, to_status=step, actor=buyer)
            else:
                reason = "Money back" if step == S.REFUNDED else ""
                orders.transition(order_id=order.pk, to_status=step, actor=self.seller, reason=reason)
            if step == S.SHIPPED and shipped_days_ago is not None:
                ship_back(order, days=shipped_days_ago)
        order.refresh_from_db()
        assert order.status == status
        return order

    def coupon(self, code="THANKS", max_uses=10):
        return coupons.create_coupon(
            user=self.seller, offer_id=self.offer.pk, code=code, discount_type="amount", value="1.00", max_uses=max_uses
        )

    def rated(self, stars=5, comment="Lovely", *, buyer=None):
        order = self.order(S.COMPLETED, buyer=buyer)
        return ratings.rate(order_id=order.pk, buyer=order.buyer, stars=stars, comment=comment)


def ship_back(order, *, days):
    """The order's shipping (and what followed) happened ``days`` ago."""
    OrderEvent.objects.filter(order=order, to_status=S.SHIPPED).update(at=timezone.now() - timedelta(days=days))


def move_back(order, to_status, *, days):
    OrderEvent.objects.filter(order=order, to_status=to_status).update(at=timezone.now() - timedelta(days=days))


def world():
    """Everything a refused request must leave as it was."""
    return (
        list(Order.objects.order_by("id").values_list("id", "status", "updated_at")),
        OrderEvent.objects.count(),
        list(Claim.objects.order_by("id").values_list("id", "status")),
        list(Offer.objects.order_by("id").values_list("id", "sold", "status")),
        list(ClaimTally.objects.order_by("id").values_list("id", "taken")),
        list(Dispute.objects.order_by("id").values_list("id", "status", "resolved_at")),
        DisputeMessage.objects.count(),
        list(Rating.objects.order_by("id").values_list("id", "stars", "published_at", "replied_at", "hidden_at")),
        ReceiptReminder.objects.count(),
    )


def refused(call, code):
    """``call`` is refused with the stable ``code`` and changes nothing; the error is returned."""
    before = world()
    with pytest.raises(CommerceError) as exc:
        call()
    assert exc.value.code == code, exc.value.message
    assert world() == before
    return exc.value
