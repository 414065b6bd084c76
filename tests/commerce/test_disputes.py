"""Disputes (services/disputes.py): the buyer opens one on a paid or shipped order (or one
completed within REFUND_DAYS), the order becomes disputed; buyer, merchant and staff write
on its page, each message telling the others in their language; staff who are no party
refund it (the order refunded, its units back, once) or reject it (back where it was).
Every misuse is refused with a stable code and changes nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from community_commerce import errors, reasons
from community_commerce.errors import NotFound
from community_commerce.models import Dispute, DisputeMessage, Order
from community_commerce.services import disputes, orders
from forum.models import Notification
from tests import factories
from tests.commerce.conftest import notes
from tests.commerce.trust_support import Shop, move_back, refused, world

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def shop():
    return Shop(stock=3)


def open_on(order, **extra):
    fields = {"reason": "not_received", "details": "Nothing came in two weeks.", **extra}
    return disputes.open_dispute(order_id=order.pk, buyer=order.buyer, **fields)


@pytest.mark.parametrize("status", [S.PAID, S.SHIPPED, S.COMPLETED])
def test_the_buyer_opens_a_dispute_and_the_order_becomes_disputed(shop, status, django_capture_on_commit_callbacks):
    order = shop.order(status)
    with django_capture_on_commit_callbacks(execute=True):
        dispute = open_on(order, reason="not_as_described", details="  Half the apples were rotten.  ")
    order.refresh_from_db()
    assert order.status == S.DISPUTED
    assert (dispute.status, dispute.reason, dispute.details, dispute.order_status_before) == (
        "open", "not_as_described", "Half the apples were rotten.", status,
    )  # fmt: skip
    event = order.events.last()
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        status, S.DISPUTED, shop.buyer, reasons.DISPUTE_OPENED["not_as_described"],
    )  # fmt: skip
    told = notes(shop.seller, "dispute_opened")
    assert [n.text for n in told] == [
        f"The buyer opened a dispute about order {order.number} (Not as described): “Half the apples were rotten.”"
    ]
    assert told[0].url == reverse("community_commerce:dispute", args=[dispute.pk])
    assert notes(shop.moderator, "dispute_opened") and notes(shop.staff, "dispute_opened")
    assert notes(shop.buyer, "dispute_opened") == []


def test_a_second_dispute_on_the_same_order_is_refused(shop):
    order = shop.order(S.SHIPPED)
    dispute = open_on(order)
    refused(lambda: open_on(order), errors.ALREADY_DISPUTED)
    disputes.resolve(dispute_id=dispute.pk, actor=shop.staff, outcome="reject", reason="Delivered")
    refused(lambda: open_on(order), errors.ALREADY_DISPUTED)  # one dispute per order, ever


@pytest.mark.parametrize(
    ("status", "code"), [(S.PENDING_PAYMENT, errors.NOT_PAID), (S.REFUNDED, errors.NOT_DISPUTABLE)]
)
def test_a_dispute_on_an_unpaid_or_ended_order_is_refused(shop, status, code):
    order = shop.order(status)
    refused(lambda: open_on(order), code)


def test_a_dispute_on_an_order_completed_more_than_refund_days_ago_is_refused(shop, settings):
    order = shop.order(S.COMPLETED)
    move_back(order, S.COMPLETED, days=8)
    refused(lambda: open_on(order), errors.REFUND_WINDOW_CLOSED)
    settings.COMMUNITY_COMMERCE_REFUND_DAYS = 9
    assert open_on(order).order_status_before == S.COMPLETED


@pytest.mark.parametrize(
    ("fields", "bad"),
    [({"reason": "too_late"}, "reason"), ({"details": "   "}, "details"), ({"details": "x" * 2001}, "details")],
)
def test_a_dispute_without_a_known_reason_or_details_is_invalid(shop, fields, bad):
    order = shop.order(S.SHIPPED)
    exc = refused(lambda: open_on(order, **fields), "invalid")
    assert list(exc.fields) == [bad]


def test_only_the_buyer_opens_a_dispute(shop):
    order = shop.order(S.SHIPPED)
    refused(
        lambda: disputes.open_dispute(order_id=order.pk, buyer=shop.seller, reason="other", details="x"), "not_buyer"
    )
    refused(
        lambda: disputes.open_dispute(order_id=order.pk, buyer=shop.stranger, reason="other", details="x"), "not_found"
    )


def test_messages_tell_the_other_sides_each_in_their_language(shop, django_capture_on_commit_callbacks):
    factories.preferences(shop.seller, language="zh-hans")
    order = shop.order(S.SHIPPED)
    dispute = open_on(order)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        disputes.post_message(dispute_id=dispute.pk, author=shop.buyer, body="Any news?")
    assert notes(shop.buyer) == []
    (to_merchant,) = notes(shop.seller, "dispute_message")
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    zh.force_login(shop.seller)
    assert f"订单 {order.number} 的争议有新消息：“Any news?”" in zh.get(reverse("forum:notifications")).content.decode()
    assert [n.text for n in notes(shop.moderator, "dispute_message")] == [
        f"New message on the dispute about order {order.number}: “Any news?”"
    ]
    # once a handler has written, the staff side is that handler, not every moderator
    with django_capture_on_commit_callbacks(execute=True):
        disputes.post_message(dispute_id=dispute.pk, author=shop.moderator, body="Merchant, your tracking number?")
        disputes.post_message(dispute_id=dispute.pk, author=shop.seller, body="1Z999")
    assert len(notes(shop.moderator, "dispute_message")) == 2
    assert len(notes(shop.staff, "dispute_message")) == 1  # only the first, before a handler spoke
    sides = list(DisputeMessage.objects.filter(dispute=dispute).values_list("side", flat=True))
    assert sides == ["buyer", "staff", "merchant"]
    assert to_merchant.url == reverse("community_commerce:dispute", args=[dispute.pk])


def test_strangers_neither_see_nor_write_on_a_dispute(shop):
    dispute = open_on(shop.order(S.SHIPPED))
    for someone in (shop.stranger, factories.merchant().user):
        refused(lambda u=someone: disputes.post_message(dispute_id=dispute.pk, author=u, body="hi"), "not_found")
        with pytest.raises(NotFound):
            disputes.get_for(someone, dispute.pk)


def test_a_refund_refunds_the_order_and_gives_its_units_back_once(shop, django_capture_on_commit_callbacks):
    order = shop.order(S.SHIPPED, quantity=2)
    shop.offer.refresh_from_db()
    assert shop.offer.sold == 2
    dispute = open_on(order)
    with django_capture_on_commit_callbacks(execute=True):
        settled, changed = disputes.resolve(dispute_id=dispute.pk, actor=shop.staff, outcome="refund", reason="Lost")
    assert (changed, settled.status, settled.resolved_by, settled.resolution_reason) == (
        True,
        "refunded",
        shop.staff,
        "Lost",
    )
    order.refresh_from_db()
    shop.offer.refresh_from_db()
    assert (order.status, shop.offer.sold) == (S.REFUNDED, 0)
    event = order.events.last()
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        S.DISPUTED,
        S.REFUNDED,
        shop.staff,
        "Lost",
    )
    assert [n.text for n in notes(shop.buyer, "dispute_settled")] == [
        f"The dispute about order {order.number} is settled: the order is refunded. Lost"
    ]
    assert notes(shop.seller, "dispute_settled")
    before = world()
    again, changed = disputes.resolve(dispute_id=dispute.pk, actor=shop.staff, outcome="refund", reason="Lost")
    assert (changed, again.status) == (False, "refunded") and world() == before
    refused(
        lambda: disputes.resolve(dispute_id=dispute.pk, actor=shop.staff, outcome="reject", reason="x"),
        errors.DISPUTE_CLOSED,
    )
    refused(
        lambda: disputes.post_message(dispute_id=dispute.pk, author=shop.buyer, body="thanks"), errors.DISPUTE_CLOSED
    )


@pytest.mark.parametrize("status", [S.PAID, S.SHIPPED, S.COMPLETED])
def test_a_rejected_dispute_sends_the_order_back_where_it_was(shop, status):
    order = shop.order(status)
    dispute = open_on(order)
    disputes.resolve(dispute_id=dispute.pk, actor=shop.moderator, outcome="reject", reason="Photos show it arrived")
    order.refresh_from_db()
    assert order.status == status
    assert [(e.from_status, e.to_status) for e in order.events.all()][-2:] == [
        (status, S.DISPUTED),
        (S.DISPUTED, status),
    ]
    shop.offer.refresh_from_db()
    assert shop.offer.sold == 1  # nothing given back


def test_a_party_never_settles_their_own_dispute(shop):
    shop.seller.is_staff = True  # a merchant who is staff too
    shop.seller.save(update_fields=["is_staff"])
    dispute = open_on(shop.order(S.SHIPPED))
    refused(
        lambda: disputes.resolve(dispute_id=dispute.pk, actor=shop.seller, outcome="reject", reason="Mine"),
        errors.OWN_DISPUTE,
    )
    refused(
        lambda: disputes.resolve(dispute_id=dispute.pk, actor=shop.buyer, outcome="refund", reason="Me"),
        errors.OWN_DISPUTE,
    )
    refused(
        lambda: disputes.resolve(dispute_id=dispute.pk, actor=shop.stranger, outcome="refund", reason="?"), "not_found"
    )


@pytest.mark.parametrize(("outcome", "reason", "bad"), [("refund_half", "x", "outcome"), ("refund", "  ", "reason")])
def test_a_resolution_needs_an_outcome_and_a_reason(shop, outcome, reason, bad):
    dispute = open_on(shop.order(S.SHIPPED))
    exc = refused(
        lambda: disputes.resolve(dispute_id=dispute.pk, actor=shop.staff, outcome=outcome, reason=reason), "invalid"
    )
    assert list(exc.fields) == [bad]


def test_a_dispute_s_order_is_not_moved_by_the_pipeline_s_buttons(shop):
    order = shop.order(S.SHIPPED)
    open_on(order)
    for to_status in (S.REFUNDED, S.SHIPPED, S.COMPLETED):
        refused(
            lambda t=to_status: orders.transition(order_id=order.pk, to_status=t, actor=shop.staff, reason="x"),
            errors.INVALID_TRANSITION,
        )


def test_the_dispute_page_for_each_side(shop):
    order = shop.order(S.SHIPPED)
    dispute = open_on(order, details="The box never came.")
    disputes.post_message(dispute_id=dispute.pk, author=shop.seller, body="Sent on Monday, tracking 1Z999.")
    url = reverse("community_commerce:dispute", args=[dispute.pk])
    resolve = reverse("community_commerce:dispute_resolve", args=[dispute.pk])
    pages = {}
    for who in (shop.buyer, shop.seller, shop.moderator, shop.staff):
        client = Client()
        client.force_login(who)
        response = client.get(url)
        assert response.status_code == 200
        pages[who.username] = response.content.decode()
    for page in pages.values():
        assert "The box never came." in page and "Sent on Monday, tracking 1Z999." in page
    assert resolve not in pages["buyer"] and resolve not in pages["seller"]
    assert resolve in pages["modder"] and resolve in pages["staffer"]
    stranger = Client()
    stranger.force_login(shop.stranger)
    assert stranger.get(url).status_code == 404
    listing = stranger.get(reverse("community_commerce:disputes")).content.decode()
    assert order.number not in listing


def test_from_the_pages_bob_disputes_the_merchant_answers_and_a_moderator_refunds(shop):
    order = shop.order(S.SHIPPED)
    buyer, seller, mod = Client(), Client(), Client()
    buyer.force_login(shop.buyer), seller.force_login(shop.seller), mod.force_login(shop.moderator)
    page = buyer.get(reverse("community_commerce:order", args=[order.pk])).content.decode()
    new = reverse("community_commerce:dispute_new", args=[order.pk])
    assert new in page
    response = buyer.post(new, {"reason": "not_received", "details": "Still waiting."})
    dispute = Dispute.objects.get(order=order)
    assert response["Location"] == reverse("community_commerce:dispute", args=[dispute.pk])
    assert buyer.post(new, {"reason": "not_received", "details": "Again"}).status_code == 409
    seller.post(reverse("community_commerce:dispute_message", args=[dispute.pk]), {"body": "Sorry, I will refund."})
    mod.post(
        reverse("community_commerce:dispute_resolve", args=[dispute.pk]), {"outcome": "refund", "reason": "Agreed"}
    )
    order.refresh_from_db()
    assert order.status == S.REFUNDED
    assert (
        "Settled: the order is refunded."
        in buyer.get(reverse("community_commerce:dispute", args=[dispute.pk])).content.decode()
    )
