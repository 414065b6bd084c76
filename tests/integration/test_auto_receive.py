"""Auto-receive with a real Celery worker and beat on real Redis: an order shipped "11 days
ago" is completed by the next sweep with an event that says so, a disputed one is not, and
further sweeps change nothing. Nothing here calls a service to complete anything."""

import time

import pytest

from community_commerce import reasons
from community_commerce.models import Order, OrderEvent
from forum.models import Notification
from tests.commerce.trust_support import Shop, ship_back
from tests.integration.conftest import SWEEP_SECONDS, wait_for

pytestmark = [pytest.mark.integration]
S = Order.Status


def status_of(order):
    return Order.objects.get(pk=order.pk).status


def test_the_sweeper_completes_an_order_shipped_11_days_ago_once_and_never_a_disputed_one(start_worker, beat):
    shop = Shop()
    due = shop.order(S.SHIPPED, shipped_days_ago=11)
    disputed = shop.order(S.DISPUTED)
    ship_back(disputed, days=11)
    recent = shop.order(S.SHIPPED, shipped_days_ago=2)
    start_worker()

    wait_for(lambda: status_of(due) == S.COMPLETED, timeout=SWEEP_SECONDS * 3 + 20, message="the auto-receive")
    event = OrderEvent.objects.filter(order=due).last()
    assert (event.from_status, event.to_status, event.actor_id, event.reason) == (
        S.SHIPPED, S.COMPLETED, None, reasons.AUTO_RECEIVED,
    )  # fmt: skip
    assert (status_of(disputed), status_of(recent)) == (S.DISPUTED, S.SHIPPED)
    told = Notification.objects.filter(recipient=shop.buyer, kind="order_completed")
    wait_for(told.exists, timeout=10, message="the buyer's notice")

    # More sweeps change nothing: no second completion, event or notice.
    before = (OrderEvent.objects.count(), Notification.objects.count(), [status_of(o) for o in (due, disputed, recent)])
    time.sleep(SWEEP_SECONDS * 2 + 0.5)
    assert (
        OrderEvent.objects.count(),
        Notification.objects.count(),
        [status_of(o) for o in (due, disputed, recent)],
    ) == before
    assert told.count() == 1
