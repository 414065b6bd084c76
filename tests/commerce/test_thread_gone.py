"""A thread the forum deletes takes its open offers with it (services/thread_gone.py):
the moderators' delete (a soft delete) and a row deleted outright (the admin) both work,
cancel each open offer once with a reason of the plugin's own, release commitments,
cancel open orders (refund paid ones) and tell buyers and merchant in their own language."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from community_commerce import reasons
from community_commerce.adapters import get_adapter
from community_commerce.models import Claim, Offer, Order, OrderEvent
from community_commerce.services import lifecycle, orders
from community_commerce.services.claim import claim
from forum.models import Notification, Post, Thread
from forum.services import moderation
from tests import factories
from tests.commerce.conftest import notes

pytestmark = pytest.mark.django_db

MODERATED = "The thread was removed by the forum's moderators."
DELETED = "The thread was deleted."


@pytest.fixture
def deal(merchant, merchant_thread, buyers):
    """A live flash sale (one order waiting for payment, one paid) and a live group-buy with
    a commitment, both in the merchant's thread, plus an ended sale whose order stays."""
    sale = factories.offer("flash_sale", merchant_=merchant, thread_=merchant_thread, stock=10, title="Tea tins")
    group = factories.offer("group_buy", merchant_=merchant, thread_=merchant_thread, title="Rice sacks")
    pending, _created = claim(offer_id=sale.pk, buyer=buyers[0], quantity=2)
    paid, _created = claim(offer_id=sale.pk, buyer=buyers[1], quantity=1)
    orders.transition(order_id=paid.order.pk, to_status="paid", actor=merchant.user)
    committed, _created = claim(offer_id=group.pk, buyer=buyers[2], quantity=3)
    ended = factories.offer("flash_sale", merchant_=merchant, thread_=merchant_thread, title="Old sale")
    kept, _created = claim(offer_id=ended.pk, buyer=buyers[2], quantity=1)
    Offer.objects.filter(pk=ended.pk).update(status=Offer.Status.CLOSED, closed_at=ended.ends_at)
    Notification.objects.all().delete()
    return {"sale": sale, "group": group, "ended": ended, "pending": pending, "paid": paid,
            "committed": committed, "kept": kept}  # fmt: skip


def fresh(obj):
    obj.refresh_from_db()
    return obj


def world():
    return (
        list(Offer.objects.order_by("id").values_list("status", "cancel_reason")),
        list(Claim.objects.order_by("id").values_list("status", flat=True)),
        list(Order.objects.order_by("id").values_list("status", flat=True)),
        OrderEvent.objects.count(),
        Notification.objects.count(),
        Post.objects.filter(kind=Post.Kind.EVENT).count(),
    )


def assert_ended_with(deal, reason, merchant, buyers):
    sale, group = fresh(deal["sale"]), fresh(deal["group"])
    assert (sale.status, sale.cancel_reason, sale.closed_at is not None) == ("cancelled", reason, True)
    assert (group.status, group.cancel_reason) == ("cancelled", reason)
    assert fresh(deal["committed"]).status == Claim.Status.RELEASED
    for key, ended in (("pending", Order.Status.CANCELLED), ("paid", Order.Status.REFUNDED)):
        order = Order.objects.get(claim=deal[key])
        assert order.status == ended
        assert (order.events.last().reason, order.events.last().actor) == (reason, None)
        assert fresh(deal[key]).status == Claim.Status.CANCELLED
    # the ended sale keeps its result and its order
    assert fresh(deal["ended"]).status == Offer.Status.CLOSED
    assert Order.objects.get(claim=deal["kept"]).status == Order.Status.PENDING_PAYMENT
    # everyone is told once: the order holders by their order, the committed buyer and the merchant
    assert [n.kind for n in notes(buyers[0])] == ["order_cancelled"]
    assert [n.kind for n in notes(buyers[1])] == ["order_refunded"]
    assert [(n.kind, n.url) for n in notes(buyers[2])] == [("offer_cancelled", reverse("community_commerce:my_orders"))]
    told = [(n.url, n.text) for n in notes(merchant.user, "offer_cancelled")]
    dashboard = reverse("community_commerce:merchant_dashboard")
    assert sorted(told) == [
        (dashboard, f"Your offer “{title}” was cancelled: {reason}") for title in ("Rice sacks", "Tea tins")
    ]


def test_a_thread_deleted_by_a_moderator_cancels_its_open_offers(
    deal, merchant, merchant_thread, buyers, django_capture_on_commit_callbacks
):
    moderator = factories.moderator()
    client = Client()
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("forum:thread_action", args=[merchant_thread.pk, "delete"]), {"reason": "spam"})
    assert response.status_code == 302
    assert fresh(merchant_thread).is_deleted
    assert_ended_with(deal, MODERATED, merchant, buyers)
    # no event line is written into a thread that is gone
    assert not Post.objects.filter(thread=merchant_thread, kind=Post.Kind.EVENT).exists()


def test_the_merchant_and_buyers_read_why_in_their_own_language(
    deal, merchant, merchant_thread, buyers, django_capture_on_commit_callbacks
):
    factories.preferences(buyers[2], language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.delete_thread(actor=factories.moderator(), thread=merchant_thread)
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(buyers[2])
    page = chinese.get(reverse("forum:notifications")).content.decode()
    assert "“Rice sacks”已取消：该帖子已被论坛版主移除。" in page
    order = Order.objects.get(claim=deal["paid"])
    order_page = chinese.get(reverse("community_commerce:order", args=[order.pk]))
    assert order_page.status_code == 404  # not theirs
    buyer = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    buyer.force_login(buyers[1])
    assert (
        "该帖子已被论坛版主移除。" in buyer.get(reverse("community_commerce:order", args=[order.pk])).content.decode()
    )


def test_deleting_twice_or_reporting_twice_changes_nothing_the_second_time(
    deal, merchant_thread, django_capture_on_commit_callbacks
):
    moderator = factories.moderator()
    with django_capture_on_commit_callbacks(execute=True):
        assert moderation.delete_thread(actor=moderator, thread=merchant_thread)
    once = world()
    with django_capture_on_commit_callbacks(execute=True):
        assert get_adapter().thread_gone(merchant_thread.pk, reason="moderated") == 0
        assert moderation.restore_thread(actor=moderator, thread=merchant_thread)
        assert moderation.delete_thread(actor=moderator, thread=merchant_thread)
    assert world() == once


def test_a_thread_row_deleted_in_the_admin_cancels_its_offers(
    deal, merchant, merchant_thread, buyers, django_capture_on_commit_callbacks
):
    admin = factories.user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    url = reverse("admin:forum_thread_delete", args=[merchant_thread.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"post": "yes"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert not Thread.objects.filter(pk=merchant_thread.pk).exists()
    assert_ended_with(deal, DELETED, merchant, buyers)
    assert Offer.objects.filter(thread_id=merchant_thread.pk).count() == 3  # offers and orders stay, as records


def test_a_queryset_delete_goes_through_the_same_door(deal, merchant, buyers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Thread.objects.filter(pk=deal["sale"].thread_id).delete()
    assert_ended_with(deal, DELETED, merchant, buyers)


def test_a_system_cancellation_never_raises_for_an_offer_that_ended(deal):
    assert lifecycle.cancel_for(offer_id=deal["ended"].pk, reason=reasons.THREAD_GONE["deleted"]) is False
    assert lifecycle.cancel_for(offer_id=987654, reason=reasons.THREAD_GONE["deleted"]) is False
    assert fresh(deal["ended"]).status == Offer.Status.CLOSED


def test_a_failure_in_the_plugin_is_logged_and_never_breaks_the_forum_s_delete(deal, merchant_thread, caplog):
    before = world()
    with caplog.at_level(logging.ERROR, logger="community_commerce.adapters.base"):
        assert get_adapter().thread_gone(merchant_thread.pk, reason="no-such-reason") == 0
    assert "cancelling the offers of deleted thread" in caplog.text
    assert world() == before
