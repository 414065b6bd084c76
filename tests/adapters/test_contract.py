"""The forum adapter contract (community_commerce/adapters/base.py): the same assertions
for every adapter. Each adapter comes with a test driver (tests/adapters/drivers.py) that
makes threads and members in its forum; a forum that runs under its own settings adds
its driver there and this suite runs against it unchanged."""

import re
from html import unescape

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from community_commerce import errors
from community_commerce.adapters import get_adapter
from community_commerce.adapters.base import ForumAdapter, ThreadRef
from community_commerce.errors import NotAllowed, NotFound
from community_commerce.models import Offer
from community_commerce.services import lifecycle, post_offer
from community_commerce.services.claim import claim
from community_commerce.services.merchants import apply, verify
from tests.adapters.drivers import DRIVERS

pytestmark = pytest.mark.django_db
ZH = "zh-hans"
LIVE = gettext_noop("%(kind)s is live: %(title)s")  # a msgid the plugin's catalogue translates


@pytest.fixture(params=[d for d in DRIVERS if d.available()], ids=lambda d: d.name)
def forum(request, settings):
    settings.COMMUNITY_COMMERCE_FORUM_ADAPTER = request.param.adapter
    before = translation.get_language()
    yield request.param
    translation.activate(before) if before else translation.deactivate()


@pytest.fixture
def adapter(forum):
    return get_adapter()


@pytest.fixture
def seller(forum):
    member = forum.member("seller", email="seller@example.org")
    verify(merchant=apply(user=member, display_name="Corner Shop", contact="1 Market St"), reason="known")
    return member


@pytest.fixture
def deals(forum):
    return forum.category(slug="deals", commerce=True)


@pytest.fixture
def thread_id(forum, seller, deals):
    return forum.thread(author=seller, category_id=deals, title="Apples by the crate")


def page(client, url) -> str:
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    return unescape(response.content.decode())


def offer_on(thread_id, seller, *, kind="flash_sale", starts_at=None, title="Crate of apples"):
    now = timezone.now()
    terms = {
        "flash_sale": {"unit_price": "9.90", "reservation_minutes": 15},
        "group_buy": {"unit_price": "19.90", "min_quantity": 2},
    }[kind]
    return post_offer.create_offer(
        user=seller, thread_id=thread_id, kind=kind, title=title, description="", currency="EUR",
        starts_at=starts_at or now - timezone.timedelta(minutes=1), ends_at=now + timezone.timedelta(days=1),
        stock=10 if kind == "flash_sale" else None, per_user_limit=None, terms=terms,
    )  # fmt: skip


# --- threads -----------------------------------------------------------------------------------


def test_get_thread_describes_the_thread(adapter, forum, seller, deals, thread_id):
    ref = adapter.get_thread(thread_id)
    assert isinstance(ref, ThreadRef)
    assert (ref.id, ref.title, ref.author_id, ref.category_id, ref.locked) == (
        thread_id, "Apples by the crate", seller.pk, deals, False
    )  # fmt: skip
    assert "Apples by the crate" in page(Client(), ref.url)
    with pytest.raises(AttributeError):
        ref.title = "changed"  # frozen
    locked = forum.thread(author=seller, category_id=deals, title="Closed", locked=True)
    assert adapter.get_thread(locked).locked is True


def test_get_thread_refuses_a_missing_or_deleted_thread(adapter, forum, thread_id):
    with pytest.raises(NotFound):
        adapter.get_thread(thread_id + 1000)
    forum.delete(thread_id, forum.delete_paths()[0])
    with pytest.raises(NotFound):
        adapter.get_thread(thread_id)


def test_a_page_of_threads_costs_the_same_queries_whatever_its_length(adapter, forum, seller, deals):
    ids = [forum.thread(author=seller, category_id=deals, title=f"Thread {i}") for i in range(6)]

    def cost(wanted):
        with CaptureQueriesContext(connection) as ctx:
            refs, urls = adapter.get_threads(wanted), adapter.thread_urls(wanted)
        return len(ctx.captured_queries), refs, urls

    two, refs, urls = cost(ids[:2])
    six, refs, urls = cost([*ids, 999999])
    assert two == six
    assert sorted(refs) == ids and [refs[i].title for i in ids] == [f"Thread {i}" for i in range(6)]
    assert set(ids) <= set(urls)


def test_thread_urls_lead_to_the_thread(adapter, thread_id):
    client = Client()
    assert "Apples by the crate" in page(client, adapter.thread_url(thread_id))
    assert "Apples by the crate" in page(client, adapter.thread_urls([thread_id])[thread_id])
    assert page(client, adapter.index_url())


def test_the_offers_of_a_deleted_thread_keep_a_url_which_answers_404(adapter, forum, seller, thread_id):
    """Notices and the API still link a cancelled offer: its URL is made, and leads nowhere."""
    offer = offer_on(thread_id, seller)
    forum.delete(thread_id, forum.delete_paths()[0])
    url = adapter.thread_url(thread_id)
    assert adapter.thread_urls([thread_id]) == {thread_id: url}
    assert Client().get(url, follow=True).status_code == 404
    offer.refresh_from_db()
    Offer.load_urls([offer])
    assert offer.get_absolute_url() == f"{url}#offer-{offer.pk}"


def test_to_thread_ref_reads_the_forum_s_thread_an_id_and_a_ref(adapter, forum, thread_id):
    ref = adapter.get_thread(thread_id)
    assert adapter.to_thread_ref(forum.native_thread(thread_id)) == ref
    assert adapter.to_thread_ref(thread_id) == ref
    assert adapter.to_thread_ref(ref) is ref


# --- who may sell where ------------------------------------------------------------------------


def test_offers_go_only_into_the_author_s_unlocked_threads_of_commerce_categories(adapter, forum, seller, deals):
    chat = forum.category(slug="chat", commerce=False)
    assert (adapter.commerce_enabled(deals), adapter.commerce_enabled(chat)) == (True, False)
    cases = {
        errors.COMMERCE_DISABLED: forum.thread(author=seller, category_id=chat, title="Chat"),
        errors.NOT_YOUR_THREAD: forum.thread(author=forum.member("other"), category_id=deals, title="Not mine"),
        errors.THREAD_LOCKED: forum.thread(author=seller, category_id=deals, title="Locked", locked=True),
    }
    for code, refused in cases.items():
        with pytest.raises(NotAllowed) as caught:
            adapter.check_may_post_offer(seller, adapter.get_thread(refused))
        assert caught.value.code == code
        with pytest.raises(NotAllowed):
            offer_on(refused, seller)
    adapter.check_may_post_offer(seller, adapter.get_thread(forum.thread(author=seller, category_id=deals, title="Ok")))


def test_an_offer_shows_once_on_its_thread_page_and_links_there(adapter, seller, thread_id):
    offer = offer_on(thread_id, seller)
    adapter.connect()  # connecting again registers nothing twice
    html = page(Client(), offer.get_absolute_url())
    assert html.count('class="offers-panel"') == 1
    assert f'id="offer-{offer.pk}"' in html and "Crate of apples" in html
    assert offer.get_absolute_url().endswith(f"#offer-{offer.pk}")


# --- thread events, watchers -------------------------------------------------------------------


def test_thread_events_read_in_each_reader_s_language(
    adapter, forum, seller, thread_id, django_capture_on_commit_callbacks
):
    offer = offer_on(thread_id, seller, starts_at=timezone.now() + timezone.timedelta(hours=1), title="Tea tins")
    Offer.objects.filter(pk=offer.pk).update(starts_at=timezone.now() - timezone.timedelta(seconds=1))
    with translation.override(ZH), django_capture_on_commit_callbacks(execute=True):  # written in Chinese...
        assert lifecycle.open_offer(offer_id=offer.pk)
    url = adapter.get_thread(thread_id).url
    english = page(Client(HTTP_ACCEPT_LANGUAGE="en"), url)
    chinese = page(Client(HTTP_ACCEPT_LANGUAGE=ZH), url)
    assert "Flash sale is live: Tea tins" in english  # ...read in each reader's language
    assert "限时抢购开始了：Tea tins" in chinese and "Flash sale is live" not in chinese


def test_watchers_are_told_when_an_offer_opens(adapter, forum, seller, thread_id, django_capture_on_commit_callbacks):
    watcher = forum.member("watcher")
    if not forum.watch(watcher, thread_id):
        assert adapter.thread_watchers(thread_id) == []
        return
    assert watcher.pk in adapter.thread_watchers(thread_id)
    with django_capture_on_commit_callbacks(execute=True):
        offer = offer_on(thread_id, seller, title="Tea tins")
    assert adapter.already_notified(kind="offer_live", urls=[offer.get_absolute_url()])
    member = Client()
    member.force_login(watcher)
    assert "“Tea tins” is live now." in page(member, forum.notifications_url())


# --- notifications -----------------------------------------------------------------------------


def test_members_are_told_after_commit_in_their_language_and_the_actor_is_not(
    adapter, forum, django_capture_on_commit_callbacks
):
    lin, ann = forum.member("lin", email="lin@example.org"), forum.member("ann", email="ann@example.org")
    chinese = forum.set_language(lin, ZH)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        adapter.notify(
            recipients=[lin.pk, ann, ann.pk], kind="test", message="Order %(number)s is paid.",
            params={"number": "A-1"}, url="/somewhere", actor=ann,
        )  # fmt: skip
    assert not adapter.already_notified(kind="test", urls=["/somewhere"])  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):  # the commit: the notifications, then their emails
        for callback in callbacks:
            callback()
    assert adapter.already_notified(kind="test", urls=["/somewhere", "/elsewhere"]) == {"/somewhere"}
    assert [m.to for m in mail.outbox] == [["lin@example.org"]]
    assert mail.outbox[0].subject == ("订单 A-1 已付款。" if chinese else "Order A-1 is paid.")
    reader = Client(HTTP_ACCEPT_LANGUAGE="en")
    reader.force_login(lin)
    assert "Order A-1 is paid." in page(reader, forum.notifications_url())
    reader.force_login(ann)
    assert "Order A-1" not in page(reader, forum.notifications_url())


def test_many_notifications_at_once_after_commit_or_now_in_the_caller_s_transaction(
    adapter, forum, django_capture_on_commit_callbacks
):
    members = [forum.member(f"buyer{i}") for i in range(3)]
    items = [(m.pk, "Order %(number)s is paid.", {"number": f"N-{i}"}, f"/o/{i}") for i, m in enumerate(members)]
    with django_capture_on_commit_callbacks(execute=True):
        adapter.notify_each(kind="each", items=items[:2])
    assert adapter.already_notified(kind="each", urls=["/o/0", "/o/1", "/o/2"]) == {"/o/0", "/o/1"}
    with pytest.raises(RuntimeError), transaction.atomic():
        adapter.deliver_each(kind="each", items=items[2:])
        assert adapter.already_notified(kind="each", urls=["/o/2"]) == {"/o/2"}  # written now...
        raise RuntimeError
    assert adapter.already_notified(kind="each", urls=["/o/2"]) == set()  # ...and rolled back with the caller
    reader = Client()
    reader.force_login(members[1])
    assert "Order N-1 is paid." in page(reader, forum.notifications_url())


def test_a_label_param_is_translated_for_each_reader(adapter, forum, django_capture_on_commit_callbacks):
    member = forum.member("lin")
    params = {"message": adapter.label("Order %(number)s is paid.", {"number": "B-2"}), "reason": "Thanks!"}
    with django_capture_on_commit_callbacks(execute=True):
        adapter.notify(recipients=[member.pk], kind="test", message="%(message)s %(reason)s", params=params)
    reader = Client(HTTP_ACCEPT_LANGUAGE=ZH)
    reader.force_login(member)
    assert "订单 B-2 已付款。 Thanks!" in page(reader, forum.notifications_url())


def test_a_notify_members_task_left_in_the_broker_by_an_earlier_version_still_tells(adapter, forum):
    from community_commerce.tasks import notify_members

    lin = forum.member("lin")
    notify_members([lin.pk, lin.pk], "legacy", "Your order is ready.", url="/legacy")
    assert adapter.already_notified(kind="legacy", urls=["/legacy"]) == {"/legacy"}
    reader = Client()
    reader.force_login(lin)
    assert page(reader, forum.notifications_url()).count("Your order is ready.") == 1


# --- members -----------------------------------------------------------------------------------


def test_members_have_a_name_a_profile_and_a_language(adapter, forum):
    lin = forum.member("lin")
    assert adapter.member_display_name(lin) == "lin"
    url = adapter.member_profile_url(lin)
    if url:
        assert "lin" in page(Client(), url)
    assert adapter.member_language([lin.pk]) == {lin.pk: "en"}
    chinese = forum.set_language(lin, ZH)
    assert adapter.member_language([lin.pk]) == {lin.pk: ZH if chinese else "en"}


# --- the demo data -----------------------------------------------------------------------------


def test_the_demo_data_finds_a_category_and_starts_a_thread_once(adapter, forum, seller, deals):
    assert adapter.find_category("deals") == deals
    assert adapter.find_category("no-such-category") is None
    assert adapter.find_thread(category_id=deals, title="Pumpkins") is None
    ref = adapter.start_thread(author=seller, category_id=deals, title="Pumpkins", body="Eight crates.")
    assert adapter.get_thread(ref.id) == ref
    assert adapter.find_thread(category_id=deals, title="Pumpkins") == ref
    assert "Eight crates." in page(Client(), ref.url)


# --- a thread the forum deletes ----------------------------------------------------------------


@pytest.mark.parametrize("nth_path", [0, 1])
def test_a_thread_the_forum_deletes_ends_its_offers_and_tells_the_buyers(
    adapter, forum, seller, thread_id, nth_path, django_capture_on_commit_callbacks
):
    paths = forum.delete_paths()
    if nth_path >= len(paths):
        pytest.skip(f"{forum.name} deletes threads one way")
    buyer = forum.member("buyer")
    group = offer_on(thread_id, seller, kind="group_buy", title="Rice sacks")
    claim(offer_id=group.pk, buyer=buyer, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        forum.delete(thread_id, paths[nth_path])
    group.refresh_from_db()
    assert group.status == Offer.Status.CANCELLED and group.cancelled_by_system
    reader = Client()
    reader.force_login(buyer)
    notes = page(reader, forum.notifications_url())
    assert len(re.findall(r"“Rice sacks” was cancelled: The thread was", notes)) == 1
    assert adapter.thread_gone(thread_id, reason="deleted") == 0  # reported again: nothing more


def test_replies_are_counted_within_each_window_or_left_out_as_unknown(adapter, forum, seller, thread_id):
    start = timezone.now().replace(microsecond=0)
    replier = forum.member("replier")
    if not forum.reply(thread_id=thread_id, author=replier, at=start + timezone.timedelta(hours=1)):
        pytest.skip(f"{forum.name}'s driver cannot post replies")
    forum.reply(thread_id=thread_id, author=replier, at=start + timezone.timedelta(hours=3))
    windows = {
        "both": (thread_id, start, start + timezone.timedelta(hours=4)),
        "first": (thread_id, start, start + timezone.timedelta(hours=2)),
        "none": (thread_id, start + timezone.timedelta(hours=5), start + timezone.timedelta(hours=6)),
    }
    with CaptureQueriesContext(connection) as queries:
        counts = adapter.count_replies(windows)
    assert len(queries) <= 1
    expected = {"both": 2, "first": 1, "none": 0}  # the opening post is no reply
    assert counts == {key: n for key, n in expected.items() if key in counts}  # exact, or "not known"
    if type(adapter).count_replies is not ForumAdapter.count_replies:
        assert counts == expected  # an adapter that overrides it knows every window
