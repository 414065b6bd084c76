"""Points under races on PostgreSQL (threads released together): many spends of one balance
at once never overdraw it, a completion delivered at once from two workers earns once, and
two refunds' clawbacks at once take the points back once. The kept balance always equals
the ledger summed."""

import pytest
from django.utils import timezone

from community_commerce.errors import Conflict
from community_commerce.models import Order, PointsEntry
from community_commerce.services import points
from tests import factories
from tests.commerce.ledger_support import buy, flash, move
from tests.commerce.test_concurrency import at_once, pytestmark, unexpected  # noqa: F401 - the marks


@pytest.mark.parametrize("round_", range(3))
def test_twelve_spends_of_one_balance_at_once_never_overdraw(round_):
    member = factories.user(f"spender{round_}")
    points.adjust(member=member, amount=100, reason="Start", actor=None)
    results = at_once([lambda: points.spend(member=member, amount=30, reason=points.SPENT_GUESS)] * 12)
    assert unexpected(results) == []
    spent = [r for r in results if isinstance(r, PointsEntry)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(spent) == 3 and len(refused) == 9
    assert {r.code for r in refused} == {"not_enough_points"}
    assert points.balance_of(member) == points.recomputed(member) == {"balance": 10, "pending": 0}


def test_a_completion_and_a_refund_delivered_twice_at_once_earn_and_claw_back_once():
    merchant = factories.merchant()
    shop = flash(merchant, factories.commerce_thread(merchant), price="20.00")
    buyer = factories.user("buyer")
    order = move(buy(shop, buyer, quantity=2), "pay", "ship", "complete")
    now = timezone.now()
    results = at_once([lambda: points.follow_order(order_id=order.pk, to_status="completed", now=now)] * 4)
    assert unexpected(results) == []
    assert points.balance_of(buyer) == points.recomputed(buyer) == {"balance": 0, "pending": 40}

    Order.objects.filter(pk=order.pk).update(status="refunded")
    results = at_once([lambda: points.claw_back(order_id=order.pk, now=now)] * 4)
    assert unexpected(results) == []
    assert PointsEntry.objects.filter(member=buyer, source="clawback").count() == 1
    assert points.balance_of(buyer) == points.recomputed(buyer) == {"balance": 0, "pending": 0}
