"""Limits for new shops: until a shop has NEW_MERCHANT_ORDERS completed orders, one offer
may be worth at most NEW_MERCHANT_MAX_VALUE in its currency (units for sale x the most a
unit can cost). A shop that fails to deliver then fails small: the cabinet shop of the
seeds took many orders before anyone learned it would not deliver.

Checked when an offer is posted or edited (services/post_offer.py: the API, the offer form
and the new-thread composer all pass there); the answer beyond it is 409 ``merchant_limit``
with the numbers."""

from decimal import Decimal

from django.utils.translation import gettext as _

from community_commerce import errors
from community_commerce.conf import conf
from community_commerce.errors import Conflict
from community_commerce.kinds import KINDS
from community_commerce.models import Order
from community_commerce.money import fmt, round_amount

FALLBACK = Decimal(2000)  # a currency the setting leaves out, without a "*"


def max_value(currency) -> Decimal:
    amounts = conf.NEW_MERCHANT_MAX_VALUE
    return amounts.get(currency, amounts.get("*", FALLBACK))


def completed_orders(merchant) -> int:
    return Order.objects.filter(merchant=merchant, status=Order.Status.COMPLETED).count()


def is_new(merchant, completed=None) -> bool:
    if conf.NEW_MERCHANT_ORDERS <= 0:
        return False
    return (completed_orders(merchant) if completed is None else completed) < conf.NEW_MERCHANT_ORDERS


def check_offer_value(*, merchant, kind, currency, stock, terms, **_other) -> None:
    """Raise 409 ``merchant_limit`` when a new shop's offer (cleaned fields) is worth too much.
    A group-buy without units for sale has no bound, so a new shop must give one."""
    if conf.NEW_MERCHANT_ORDERS <= 0:
        return
    completed = completed_orders(merchant)
    if completed >= conf.NEW_MERCHANT_ORDERS:
        return
    limit = max_value(currency)
    numbers = {
        "limit": fmt(limit, currency),
        "currency": currency,
        "needed": conf.NEW_MERCHANT_ORDERS,
        "done": completed,
    }
    if not stock:
        raise Conflict(
            _(
                "A new shop's offer may be worth at most %(limit)s %(currency)s (units for sale × price) until the "
                "shop has %(needed)d completed orders; it has %(done)d. Give the units for sale."
            )
            % numbers,
            code=errors.MERCHANT_LIMIT,
        )
    value = round_amount(KINDS[kind].max_unit_price(terms) * stock, currency)
    if value > limit:
        raise Conflict(
            _(
                "A new shop's offer may be worth at most %(limit)s %(currency)s (units for sale × price) until the "
                "shop has %(needed)d completed orders; it has %(done)d. This offer is worth %(value)s %(currency)s."
            )
            % {**numbers, "value": fmt(value, currency)},
            code=errors.MERCHANT_LIMIT,
        )


def limits_of(merchant, completed=None) -> dict:
    """What the API shows of the shop's limits."""
    completed = completed_orders(merchant) if completed is None else completed
    new = is_new(merchant, completed)
    amounts = conf.NEW_MERCHANT_MAX_VALUE
    return {
        "new_merchant": new,
        "completed_orders_needed": max(conf.NEW_MERCHANT_ORDERS, 0),
        "max_offer_value": {
            ("default" if code == "*" else code): (fmt(amount, code) if code != "*" else str(amount))
            for code, amount in amounts.items()
        }
        if new
        else None,
    }
