"""Receipt (services/receipt.py): the buyer confirms a shipped order, or the sweeper
completes it AUTO_RECEIVE_DAYS after shipping, once, with an event that says so, after a
reminder; a disputed order never completes by the clock."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community_commerce import errors, reasons
from community_commerce.errors import Conflict, NotAllowed, NotFound
from community_commerce.models import Order, ReceiptReminder
from community_commerce.services import disputes, receipt
from community_commerce.services.schedule import sweep
from tests import factories
from tests.commerce.conftest import notes
from tests.commerce.trust_support import Shop, ship_back, world

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def shop():
    return Shop()


def test_the_buyer_receives_a_shipped_order_once(shop):
    order = shop.order(S.SHIPPED)
    moved, changed = receipt.receive(order_id=order.pk, buyer=shop.buyer)
    assert (moved.status, changed) == (S.COMPLETED, True)
    event = order.events.last()
    assert (event.from_status, event.to_status, event.actor) == (S.SHIPPED, S.COMPLETED, shop.buyer)
    before = world()
    _again, changed = receipt.receive(order_id=order.pk, buyer=shop.buyer)
    assert changed is False and world() == before


@pytest.mark.parametrize("status", [S.PENDING_PAYMENT, S.PAID, S.DISPUTED, S.REFUNDED])
def test_receive_on_an_order_not_shipped_is_refused_and_changes_nothing(shop, status):
    order = shop.order(status)
    before = world()
    with pytest.raises(Conflict) as exc:
        receipt.receive(order_id=order.pk, buyer=shop.buyer)
    assert exc.value.code == errors.NOT_SHIPPED
    assert world() == before


def test_only_the_buyer_receives(shop):
    order = shop.order(S.SHIPPED)
    before = world()
    for someone, refusal in ((shop.seller, NotAllowed), (shop.staff, NotAllowed), (shop.stranger, NotFound)):
        with pytest.raises(refusal):
            receipt.receive(order_id=order.pk, buyer=someone)
    assert world() == before


def test_a_merchant_cannot_complete_an_order_on_its_own_word(shop):
    order = shop.order(S.SHIPPED)
    response = merchant_client(shop).post(reverse("community_commerce:order_action", args=[order.pk, "complete"]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.SHIPPED


def merchant_client(shop):
    client = Client()
    client.force_login(shop.seller)
    return client


def test_the_sweeper_completes_an_order_shipped_11_days_ago_once_and_says_so(shop, django_capture_on_commit_callbacks):
    due = shop.order(S.SHIPPED, shipped_days_ago=11)
    recent = shop.order(S.SHIPPED, shipped_days_ago=9)
    disputed = shop.order(S.DISPUTED)
    ship_back(disputed, days=11)
    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep()
    assert counts["received"] == 1
    due.refresh_from_db(), recent.refresh_from_db(), disputed.refresh_from_db()
    assert (due.status, recent.status, disputed.status) == (S.COMPLETED, S.SHIPPED, S.DISPUTED)
    event = due.events.last()
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        S.SHIPPED, S.COMPLETED, None, reasons.AUTO_RECEIVED,
    )  # fmt: skip
    told = [n.text for n in notes(shop.buyer, "order_completed")]
    assert told == [f"Order {due.number} is completed. {reasons.AUTO_RECEIVED}"]
    before = world()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep()["received"] == 0
    assert world() == before


def test_the_buyer_is_reminded_once_before_the_order_completes_by_itself(shop, django_capture_on_commit_callbacks):
    soon = shop.order(S.SHIPPED, shipped_days_ago=8)  # completes in 2 days: within the 3 days of notice
    later = shop.order(S.SHIPPED, shipped_days_ago=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep()["reminded"] == 1
        assert sweep()["reminded"] == 0
    (note,) = notes(shop.buyer, "order_receive_reminder")
    date = timezone.localdate(soon.events.get(to_status=S.SHIPPED).at + timedelta(days=10)).isoformat()
    assert note.text == (
        f"Did order {soon.number} arrive? Confirm receipt, or open a dispute if something is wrong. "
        f"Otherwise it completes by itself on {date}."
    )
    assert note.url == reverse("community_commerce:order", args=[soon.pk])
    assert ReceiptReminder.objects.filter(order=later).count() == 0


def test_a_rejected_dispute_starts_the_wait_again(shop, django_capture_on_commit_callbacks):
    order = shop.order(S.SHIPPED, shipped_days_ago=9)
    dispute = disputes.open_dispute(order_id=order.pk, buyer=shop.buyer, reason="not_received", details="Nothing")
    disputes.resolve(dispute_id=dispute.pk, actor=shop.staff, outcome="reject", reason="Tracking says delivered")
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=timezone.now() + timedelta(days=2))  # 11 days after the first shipping, 2 after the rejection
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=timezone.now() + timedelta(days=10, minutes=1))
    order.refresh_from_db()
    assert order.status == S.COMPLETED


def test_the_wait_is_a_setting(shop, settings, django_capture_on_commit_callbacks):
    settings.COMMUNITY_COMMERCE_AUTO_RECEIVE_DAYS = 3
    order = shop.order(S.SHIPPED, shipped_days_ago=4)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep()["received"] == 1
    order.refresh_from_db()
    assert order.status == S.COMPLETED


def test_the_order_page_tells_when_a_shipped_order_completes_by_itself(shop):
    order = shop.order(S.SHIPPED)
    client = Client()
    client.force_login(shop.buyer)
    page = client.get(reverse("community_commerce:order", args=[order.pk])).content.decode()
    assert "It completes by itself on" in page and "Open a dispute" in page
    assert reverse("community_commerce:order_action", args=[order.pk, "complete"]) in page
    other = factories.user()
    assert Client().get(reverse("community_commerce:order", args=[order.pk])).status_code == 302
    client.force_login(other)
    assert client.get(reverse("community_commerce:order", args=[order.pk])).status_code == 404
