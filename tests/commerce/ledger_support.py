"""Builders for the commission and report tests: orders made through the real claim path
(so channel, link and coupon are decided by the published rule), then moved along the
pipeline with the clock where a test needs it."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from community_commerce.models import CommissionEntry, Order, Referral
from community_commerce.models.ledger import STANDING
from community_commerce.services import coupons, links, orders
from community_commerce.services.claim import claim
from tests import factories


def flash(merchant, thread, *, price="10.00", currency="EUR", stock=500, **extra):
    return factories.offer(
        "flash_sale", merchant_=merchant, thread_=thread, stock=stock, currency=currency,
        terms={"unit_price": price, "reservation_minutes": 15}, **extra,
    )  # fmt: skip


def buy(offer, buyer, *, quantity=1, ref=None, coupon=None) -> Order:
    """A claim on a flash sale: its order waits for payment."""
    made, _created = claim(offer_id=offer.pk, buyer=buyer, quantity=quantity, ref=ref, coupon=coupon)
    return Order.objects.get(claim=made)


def move(order, *steps, actor=None, now=None):
    """``move(order, "pay", "ship", "complete")`` as the merchant (or ``actor``). "complete" is
    the buyer's receipt unless ``actor`` says who; "cancel" of an order that was paid is its
    refund, with a reason (a paid order is refunded, not cancelled: services/orders.py)."""
    for step in steps:
        current = Order.objects.select_related("merchant").get(pk=order.pk)
        who = actor or (current.buyer if step == "complete" else current.merchant.user)
        to_status, reason = orders.ACTIONS[step], ""
        if step == "cancel" and current.status != Order.Status.PENDING_PAYMENT:
            to_status, reason = Order.Status.REFUNDED, "Money returned."
        order, _changed = orders.transition(order_id=order.pk, to_status=to_status, actor=who, reason=reason, now=now)
    return Order.objects.get(pk=order.pk)


def referred(referrer_link, username=None, *, email=None, at=None):
    """A member who signed up through ``referrer_link`` (a browser's visit, then signup)."""
    member = factories.user(username, email=email, joined_days_ago=0)
    signed_up = at or member.date_joined
    Referral.objects.create(
        member=member, link=referrer_link, referrer=referrer_link.owner, channel=referrer_link.channel,
        visited_at=signed_up - timedelta(minutes=5), signed_up_at=signed_up,
    )  # fmt: skip
    return get_user_model().objects.get(pk=member.pk)


def link_of(user, offer, channel=None):
    return links.get_or_create_link(user=user, offer_id=offer.pk, channel=channel)[0]


def coupon_for(offer, *, channel="", value="1.00", code=None):
    return coupons.create_coupon(
        user=offer.merchant.user, offer_id=offer.pk, code=code, discount_type="amount", value=value, channel=channel
    )


def owed_apart_from_the_ledger() -> list[tuple]:
    """Orders whose ``commissions_owed`` is not what their standing entries add up to,
    recomputed here in Python from the ledger: (order id, the column, the ledger's sum)."""
    sums = defaultdict(Decimal)
    for order_id, amount in CommissionEntry.objects.filter(status__in=STANDING).values_list("order_id", "amount"):
        sums[order_id] += amount
    found = Order.objects.values_list("pk", "commissions_owed")
    return [(pk, owed, sums[pk]) for pk, owed in found if owed != sums[pk]]
