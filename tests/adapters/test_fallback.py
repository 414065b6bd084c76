"""A forum with no notifications and no thread events of its own (tests/adapters/fallback.py):
the plugin's own notices (an in-app list, an unread count, an email through Celery in the
member's language, each sent once) and its own thread events (in the offer panel, in each
reader's language, loaded by the panel's one offers query)."""

from html import unescape

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from community_commerce.models import Notice, Offer, ThreadEvent
from community_commerce.services import claim_notices, lifecycle, notices
from community_commerce.services.claim import claim
from community_commerce.tasks import send_notice_emails
from forum.models import Notification, Post
from tests import factories as f
from tests.adapters.fallback import PATH

pytestmark = pytest.mark.django_db
ZH = "zh-hans"


@pytest.fixture(autouse=True)
def fallback_forum(settings):
    settings.COMMUNITY_COMMERCE_FORUM_ADAPTER = PATH
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate()


@pytest.fixture
def shop(db):
    return f.merchant(f.user("grocer"), display_name="Corner Grocer")


def reader(language, member=None):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if member is not None:
        client.force_login(member)
    return client


def text_of(response):
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_members_are_told_in_the_plugin_s_own_notices_and_read_them_in_their_language(
    shop, django_capture_on_commit_callbacks
):
    group = f.offer("group_buy", merchant_=shop, title="Rice sacks")
    lin, ann = f.user("lin"), f.user("ann")
    for member in (lin, ann):
        claim(offer_id=group.pk, buyer=member, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_offer(offer_id=group.pk, actor=shop.user, reason="Mill burnt down")
    assert not Notification.objects.exists()  # the forum's own notifications are not used
    rows = list(Notice.objects.filter(kind="offer_cancelled").order_by("recipient_id"))
    assert [(n.recipient, n.message, n.params) for n in rows] == [
        (member, "“%(title)s” was cancelled: %(reason)s", {"title": "Rice sacks", "reason": "Mill burnt down"})
        for member in (lin, ann)
    ]

    english = text_of(reader("en", lin).get(reverse("community_commerce:notices")))
    assert "“Rice sacks” was cancelled: Mill burnt down" in english
    chinese = text_of(reader(ZH, lin).get(reverse("community_commerce:notices")))
    assert "“Rice sacks”已取消：Mill burnt down" in chinese and "通知" in chinese


def test_the_unread_count_goes_down_as_a_member_opens_or_reads_all(shop, django_capture_on_commit_callbacks):
    lin = f.user("lin")
    sale = f.offer("flash_sale", merchant_=shop)
    with django_capture_on_commit_callbacks(execute=True):
        claim(offer_id=sale.pk, buyer=lin, quantity=1)
        claim_notices.send_pending()
        lifecycle.cancel_offer(offer_id=sale.pk, actor=shop.user, reason="Out of stock")
    assert notices.unread_count(lin) == 2
    first = Notice.objects.filter(recipient=lin).order_by("id").first()
    client = reader("en", lin)
    opened = client.get(reverse("community_commerce:notice", args=[first.pk]))
    assert (opened.status_code, opened["Location"]) == (302, first.url)
    assert notices.unread_count(lin) == 1
    assert reader("en", f.user()).get(reverse("community_commerce:notice", args=[first.pk])).status_code == 404
    assert client.post(reverse("community_commerce:notices_read_all")).status_code == 302
    assert notices.unread_count(lin) == 0
    html = text_of(client.get(reverse("community_commerce:notices")))
    assert "Mark all as read" not in html


def test_emails_go_once_in_each_member_s_language(shop, django_capture_on_commit_callbacks):
    lin, ann = f.user("lin", email="lin@example.org"), f.user("ann", email="ann@example.org")
    f.preferences(lin, language=ZH)
    group = f.offer("group_buy", merchant_=shop, title="Rice sacks")
    for member in (lin, ann):
        claim(offer_id=group.pk, buyer=member, quantity=1)
    with translation.override(ZH), django_capture_on_commit_callbacks(execute=True):  # whoever writes, in Chinese
        lifecycle.cancel_offer(offer_id=group.pk, actor=shop.user, reason="Mill burnt down")
    emails = {m.to[0]: m for m in mail.outbox}
    assert emails["lin@example.org"].subject == "“Rice sacks”已取消：Mill burnt down"
    assert emails["ann@example.org"].subject == "“Rice sacks” was cancelled: Mill burnt down"
    assert f"http://testserver{reverse('community_commerce:notices')}" in emails["ann@example.org"].body
    assert "你的全部通知" in emails["lin@example.org"].body
    ids = list(Notice.objects.values_list("pk", flat=True))
    assert send_notice_emails(ids) == 0  # a task delivered twice sends nothing more
    assert len(mail.outbox) == 2


def test_a_group_buy_success_told_twice_tells_each_buyer_once(shop, django_capture_on_commit_callbacks):
    group = f.offer("group_buy", merchant_=shop, terms={"unit_price": "5.00", "min_quantity": 2})
    for member in (f.user(), f.user()):
        claim(offer_id=group.pk, buyer=member, quantity=1)
    Offer.objects.filter(pk=group.pk).update(ends_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=group.pk)
    assert Notice.objects.filter(kind="offer_succeeded").count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.tell_group_buy_success(offer_id=group.pk) == 0
    assert Notice.objects.filter(kind="offer_succeeded").count() == 2


def test_notices_written_in_a_transaction_that_rolls_back_are_not_kept(shop):
    sale = f.offer("flash_sale", merchant_=shop)
    claim(offer_id=sale.pk, buyer=f.user(), quantity=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert claim_notices.send_pending() == 1
        assert Notice.objects.count() == 1
        raise RuntimeError
    assert Notice.objects.count() == 0


def test_thread_events_show_in_the_offer_panel_in_each_reader_s_language(shop, django_capture_on_commit_callbacks):
    thread = f.commerce_thread(shop, category_=f.category("Deals", commerce_enabled=True))
    sale = f.offer("flash_sale", merchant_=shop, thread_=thread, title="Tea tins", status="scheduled")
    with translation.override(ZH), django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.open_offer(offer_id=sale.pk)
    (event,) = ThreadEvent.objects.filter(thread_id=thread.pk)
    assert (event.message, event.params) == (
        "%(kind)s is live: %(title)s",
        {"kind": {"msgid": "Flash sale"}, "title": "Tea tins"},
    )
    assert not Post.objects.filter(thread=thread, kind=Post.Kind.EVENT).exists()  # not the forum's
    assert "Flash sale is live: Tea tins" in text_of(reader("en").get(thread.get_absolute_url()))
    assert "限时抢购开始了：Tea tins" in text_of(reader(ZH).get(thread.get_absolute_url()))


def test_the_panel_s_events_cost_no_query_of_their_own(shop, settings, django_capture_on_commit_callbacks):
    thread = f.commerce_thread(shop, category_=f.category("Deals", commerce_enabled=True))
    offers = [f.offer("flash_sale", merchant_=shop, thread_=thread, status="scheduled") for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        for offer in offers:
            lifecycle.open_offer(offer_id=offer.pk)
    assert ThreadEvent.objects.count() == 2
    client = Client()

    def queries():
        client.get(thread.get_absolute_url())
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(thread.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    with_events = queries()
    settings.COMMUNITY_COMMERCE_FORUM_ADAPTER = "community_commerce.adapters.bundled.BundledForumAdapter"
    assert queries() == with_events
