"""Thread events and notifications are stored language-neutral (a msgid and its params)
and shown in the reader's language, whatever language was active when they were written
(a Celery worker writes with English active; a member may browse in Chinese)."""

from html import unescape

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from community_commerce.adapters import get_adapter
from community_commerce.services import lifecycle, orders
from forum import messages
from forum.models import MemberPreferences, Notification, Post, Thread
from forum.services import posting, subscriptions
from tests import factories as f

ZH = "zh-hans"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    """LocaleMiddleware leaves the request's language active in this thread: restore it."""
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate()


def text_of(response) -> str:
    assert response.status_code == 200
    return unescape(response.content.decode())


def reader(language, member=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if member is not None:
        client.force_login(member)
    return client


@pytest.fixture
def closed_sale(django_capture_on_commit_callbacks):
    """A flash sale closed by the worker (English active): 3 of its 10 units sold."""
    now = timezone.now()
    offer = f.offer(
        "flash_sale",
        title="Oolong tins",
        starts_at=now - timezone.timedelta(hours=2),
        ends_at=now - timezone.timedelta(minutes=1),
    )
    type(offer).objects.filter(pk=offer.pk).update(sold=3)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=offer.pk)
    return offer


def test_the_worker_written_close_event_reads_in_each_readers_language(closed_sale):
    (event,) = Post.objects.filter(thread_id=closed_sale.thread_id, kind=Post.Kind.EVENT)
    assert event.body == "%(kind)s ended: %(units)d of %(stock)d units sold"  # the msgid, not a translation
    assert event.params == {"kind": {"msgid": "Flash sale"}, "units": 3, "stock": 10}
    assert event.html == "<p>Flash sale ended: 3 of 10 units sold</p>"  # the English rendering is kept

    url = Thread.objects.get(pk=closed_sale.thread_id).get_absolute_url()
    chinese = text_of(reader(ZH).get(url))
    assert "限时抢购已结束：售出 3 件，共 10 件" in chinese
    assert "Flash sale ended" not in chinese
    english = text_of(reader("en").get(url))
    assert "Flash sale ended: 3 of 10 units sold" in english
    assert "限时抢购" not in english


def test_an_event_written_by_a_member_browsing_in_chinese_reads_in_english(django_capture_on_commit_callbacks):
    offer = f.offer("group_buy", title="Tea crates")
    with translation.override(ZH), django_capture_on_commit_callbacks(execute=True):
        lifecycle.announce_sold_out(offer=offer)
    (event,) = Post.objects.filter(thread_id=offer.thread_id, kind=Post.Kind.EVENT)
    assert event.body == "%(kind)s sold out: %(title)s"
    url = Thread.objects.get(pk=offer.thread_id).get_absolute_url()
    assert "Group-buy sold out: Tea crates" in text_of(reader("en").get(url))
    assert "团购" in text_of(reader(ZH).get(url)) and "Group-buy sold out" not in text_of(reader(ZH).get(url))


def test_the_posts_api_renders_an_event_in_the_request_language(closed_sale):
    posts = reader(ZH).get(f"/api/v1/threads/{closed_sale.thread_id}/posts").json()["items"]
    assert [p["html"] for p in posts if p["kind"] == "event"] == ["<p>限时抢购已结束：售出 3 件，共 10 件</p>"]
    posts = reader("en").get(f"/api/v1/threads/{closed_sale.thread_id}/posts").json()["items"]
    assert [p["html"] for p in posts if p["kind"] == "event"] == ["<p>Flash sale ended: 3 of 10 units sold</p>"]


def test_a_reply_notification_reads_in_the_readers_language_and_its_email_in_theirs(
    mailoutbox, django_capture_on_commit_callbacks
):
    author = f.user("tea_author")
    thread = f.thread(author=author, title="Green tea")
    chinese_member = f.user("lin", email="lin@example.org")
    english_member = f.user("ann", email="ann@example.org")
    f.preferences(chinese_member, language=ZH)
    for member in (chinese_member, english_member):
        subscriptions.watch(user=member, thread=thread)
    replier = f.user("replier")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        posting.reply(author=replier, thread=thread, body="Lovely")

    note = Notification.objects.get(recipient=chinese_member)
    assert note.message == "%(user)s replied in “%(thread)s”"
    assert note.params == {"user": "replier", "thread": "Green tea"}
    assert note.text == "replier replied in “Green tea”"  # the English rendering, as before

    page = text_of(reader(ZH, chinese_member).get(reverse("forum:notifications")))
    assert "replier 回复了“Green tea”" in page and "replied in" not in page
    page = text_of(reader("en", english_member).get(reverse("forum:notifications")))
    assert "replier replied in “Green tea”" in page

    emails = {m.to[0]: m for m in mailoutbox}
    assert emails["lin@example.org"].subject == "replier 回复了“Green tea”"
    assert emails["ann@example.org"].subject == "replier replied in “Green tea”"


def test_a_notification_written_in_chinese_is_emailed_in_english_to_a_member_without_a_language(
    mailoutbox, django_capture_on_commit_callbacks
):
    member = f.user("bo", email="bo@example.org")
    with translation.override(ZH), django_capture_on_commit_callbacks(execute=True):
        get_adapter().notify(
            recipients=[member.pk],
            kind="test",
            message="Order %(number)s is paid.",
            params={"number": "A-1"},
            url="/",
        )
    (email,) = mailoutbox
    assert email.subject == "Order A-1 is paid."
    assert "订单 A-1 已付款。" in text_of(reader(ZH, member).get(reverse("forum:notifications")))


def test_an_order_message_with_a_reason_nests_a_translated_message():
    message = orders._WITH_REASON
    params = {"message": get_adapter().label("Order %(number)s is paid.", {"number": "B-2"}), "reason": "Thanks!"}
    assert messages.english(message, params) == "Order B-2 is paid. Thanks!"
    assert messages.render_in(ZH, message, params) == "订单 B-2 已付款。 Thanks!"


def test_old_rows_without_a_message_still_show_their_text():
    member = f.user("old_timer")
    Notification.objects.create(recipient=member, kind="reply", text="Written before messages")
    thread = f.thread(title="Old thread")
    Post.objects.create(thread=thread, kind=Post.Kind.EVENT, body="旧的事件", html="<p>旧的事件</p>")
    assert "Written before messages" in text_of(reader(ZH, member).get(reverse("forum:notifications")))
    assert "旧的事件" in text_of(reader("en").get(thread.get_absolute_url()))


def test_switching_language_and_logging_in_store_the_members_language():
    member = f.user("switcher")
    client = reader("en", member)
    client.post(reverse("set_language"), {"language": ZH, "next": "/"})
    assert MemberPreferences.objects.get(user=member).language == ZH
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert MemberPreferences.objects.get(user=member).language == ZH  # an unknown language is ignored

    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(reverse("account_login"), {"login": "switcher", "password": f.PASSWORD})
    assert response.status_code == 302
    assert MemberPreferences.objects.get(user=member).language == "en"
