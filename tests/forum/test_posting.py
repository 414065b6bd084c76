"""Starting threads, replying and editing through forum.services.posting."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from forum import limits, tasks
from forum.errors import FloodControl, InvalidInput, NotAllowed, ThreadLocked
from forum.models import Category, Notification, Post, PostingClock, PostRevision, Subscription, Thread
from forum.services import posting, subscriptions
from tests import factories

pytestmark = pytest.mark.django_db


def db_state():
    """What a rejected action must leave untouched."""
    return (
        Thread.objects.count(),
        Post.objects.count(),
        PostRevision.objects.count(),
        Notification.objects.count(),
        Subscription.objects.count(),
    )


def notes(member, kind=None):
    qs = Notification.objects.filter(recipient=member)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs)


@pytest.fixture
def category(db):
    return factories.category()


@pytest.fixture
def author(db):
    return factories.user("starter")


@pytest.fixture
def thread(flood_off, author, category):
    return posting.start_thread(author=author, category=category, title="Bulk tea order", body="Who is in?")


# --- Starting a thread ---------------------------------------------------------------------


def test_start_thread_saves_the_title_source_and_rendered_html(flood_off, author, category):
    thread = posting.start_thread(
        author=author, category=category, title="  Group   buy:  green tea ", body="  We need **ten** buyers.\n"
    )
    thread.refresh_from_db()
    assert thread.title == "Group buy: green tea"
    assert thread.category == category
    assert thread.author == author
    assert thread.last_poster == author
    assert thread.reply_count == 0
    (post,) = thread.posts.all()
    assert post.author == author
    assert post.body == "We need **ten** buyers."
    assert "<strong>ten</strong>" in post.html


def test_start_thread_subscribes_the_author(flood_off, author, category):
    thread = posting.start_thread(author=author, category=category, title="Watch me", body="text")
    assert subscriptions.is_watching(user=author, thread=thread)


def test_start_thread_notifies_and_emails_mentioned_members(
    flood_off, author, category, mailoutbox, django_capture_on_commit_callbacks
):
    alice = factories.user("alice", email="alice@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        thread = posting.start_thread(author=author, category=category, title="Ideas", body="What do you think @alice?")
    (note,) = notes(alice)
    assert note.kind == "mention"
    assert note.actor == author
    assert note.thread == thread
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]
    assert notes(author) == []  # nobody is told about their own post


def test_moderators_only_category_refuses_members(flood_off, author):
    closed = factories.category(who_can_start=Category.StartPolicy.MODERATORS)
    before = db_state()
    with pytest.raises(NotAllowed) as exc:
        posting.start_thread(author=author, category=closed, title="Announcement", body="Hello")
    assert exc.value.code == "category_closed"
    assert exc.value.status == 403
    assert db_state() == before


def test_moderators_only_category_accepts_moderators_and_staff(flood_off):
    closed = factories.category(who_can_start=Category.StartPolicy.MODERATORS)
    for member in (factories.moderator(), factories.staff()):
        thread = posting.start_thread(author=member, category=closed, title="Announcement", body="Hello")
        assert thread.category == closed
    assert Thread.objects.filter(category=closed).count() == 2


# --- Replying --------------------------------------------------------------------------------


def test_reply_saves_source_and_html(thread):
    replier = factories.user()
    post = posting.reply(author=replier, thread=thread, body="I'm in for *two* boxes")
    post.refresh_from_db()
    assert post.thread == thread
    assert post.author == replier
    assert post.body == "I'm in for *two* boxes"
    assert "<em>two</em>" in post.html


def test_reply_bumps_reply_count_last_activity_and_last_poster(thread):
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Thread.objects.filter(pk=thread.pk).update(last_activity_at=an_hour_ago)
    replier = factories.user()
    posting.reply(author=replier, thread=thread, body="me too")
    thread.refresh_from_db()
    assert thread.reply_count == 1
    assert thread.last_poster == replier
    assert thread.last_activity_at > an_hour_ago

    second = posting.reply(author=factories.user(), thread=thread, body="and me")
    thread.refresh_from_db()
    assert thread.reply_count == 2
    assert thread.last_activity_at == second.created_at
    assert thread.last_poster == second.author


def test_reply_subscribes_the_author(thread):
    replier = factories.user()
    assert not subscriptions.is_watching(user=replier, thread=thread)
    posting.reply(author=replier, thread=thread, body="count me in")
    assert subscriptions.is_watching(user=replier, thread=thread)


def test_watchers_except_the_replier_get_a_reply_notification_and_email(
    thread, author, mailoutbox, django_capture_on_commit_callbacks
):
    watcher = factories.user("watcher")
    subscriptions.watch(user=watcher, thread=thread)
    replier = factories.user("replier")
    subscriptions.watch(user=replier, thread=thread)
    bystander = factories.user("bystander")

    with django_capture_on_commit_callbacks(execute=True):
        post = posting.reply(author=replier, thread=thread, body="Order placed")

    for member in (author, watcher):
        (note,) = notes(member)
        assert note.kind == "reply"
        assert note.post == post
        assert note.actor == replier
        assert "Bulk tea order" in note.text
    assert notes(replier) == []
    assert notes(bystander) == []
    assert sorted(m.to[0] for m in mailoutbox) == sorted([author.email, watcher.email])
    assert all(post.get_absolute_url() in m.body for m in mailoutbox)


def test_no_email_leaves_before_the_reply_commits(thread, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        posting.reply(author=factories.user(), thread=thread, body="hello")
    assert len(callbacks) == 1
    assert mailoutbox == []


def test_a_rolled_back_reply_sends_nothing(thread, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        posting.reply(author=factories.user(), thread=thread, body="hello")
        raise RuntimeError("something failed after the reply")
    assert mailoutbox == []
    assert Notification.objects.count() == 0
    assert thread.posts.count() == 1


def test_mentioned_member_gets_a_mention_notification_and_an_email(
    thread, mailoutbox, django_capture_on_commit_callbacks
):
    alice = factories.user("alice", email="alice@example.org")
    replier = factories.user("replier")
    with django_capture_on_commit_callbacks(execute=True):
        post = posting.reply(author=replier, thread=thread, body="@Alice, you wanted this")
    (note,) = notes(alice)
    assert note.kind == "mention"
    assert note.post == post
    assert "replier" in note.text
    (email,) = [m for m in mailoutbox if m.to == ["alice@example.org"]]
    assert email.subject == note.text
    assert f"http://testserver{post.get_absolute_url()}" in email.body


def test_a_mentioned_watcher_is_told_once(thread, author, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        posting.reply(author=factories.user(), thread=thread, body=f"@{author.username} look")
    assert [n.kind for n in notes(author)] == ["mention"]
    assert [m.to for m in mailoutbox] == [[author.email]]


def test_member_with_email_off_gets_the_notification_but_no_email(
    thread, author, mailoutbox, django_capture_on_commit_callbacks
):
    factories.preferences(author, email_notifications=False)
    quiet = factories.user("quiet")
    factories.preferences(quiet, email_notifications=False)
    loud = factories.user("loud")
    with django_capture_on_commit_callbacks(execute=True):
        posting.reply(author=factories.user(), thread=thread, body="ping @quiet and @loud")
    assert [n.kind for n in notes(author)] == ["reply"]
    assert [n.kind for n in notes(quiet)] == ["mention"]
    assert [n.kind for n in notes(loud)] == ["mention"]
    assert [m.to for m in mailoutbox] == [[loud.email]]
    assert Notification.objects.get(recipient=quiet).emailed_at is None


def test_email_task_sends_each_notification_once(thread, author, mailoutbox, django_capture_on_commit_callbacks):
    watcher = factories.user()
    subscriptions.watch(user=watcher, thread=thread)
    with django_capture_on_commit_callbacks(execute=False):  # the queued task does not run here
        posting.reply(author=factories.user(), thread=thread, body="news")
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert len(ids) == 2

    assert tasks.send_notification_emails(ids) == 2
    assert tasks.send_notification_emails(ids) == 0  # a redelivered task
    assert sorted(m.to[0] for m in mailoutbox) == sorted([author.email, watcher.email])
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


# --- Editing ------------------------------------------------------------------------------


@pytest.fixture
def reply_post(thread):
    return posting.reply(author=factories.user("writer"), thread=thread, body="Original **text**")


def test_edit_saves_the_new_text_and_keeps_the_old_one(reply_post):
    old_html = reply_post.html
    assert posting.edit_post(editor=reply_post.author, post=reply_post, body="Better _text_") is True
    reply_post.refresh_from_db()
    assert reply_post.body == "Better _text_"
    assert "<em>text</em>" in reply_post.html
    assert reply_post.edit_count == 1
    assert reply_post.edited_at is not None
    (revision,) = reply_post.revisions.all()
    assert revision.body == "Original **text**"
    assert revision.html == old_html
    assert revision.editor == reply_post.author


def test_each_edit_adds_a_revision(reply_post):
    posting.edit_post(editor=reply_post.author, post=reply_post, body="second")
    posting.edit_post(editor=reply_post.author, post=reply_post, body="third")
    reply_post.refresh_from_db()
    assert reply_post.edit_count == 2
    assert [r.body for r in reply_post.revisions.all()] == ["Original **text**", "second"]


def test_saving_the_same_text_changes_nothing(reply_post):
    assert posting.edit_post(editor=reply_post.author, post=reply_post, body="  Original **text**  ") is False
    reply_post.refresh_from_db()
    assert reply_post.edit_count == 0
    assert reply_post.edited_at is None
    assert PostRevision.objects.count() == 0


def test_edit_notifies_only_newly_mentioned_members(flood_off, thread, django_capture_on_commit_callbacks, mailoutbox):
    alice, bob = factories.user("alice"), factories.user("bob")
    writer = factories.user("writer")
    with django_capture_on_commit_callbacks(execute=True):
        post = posting.reply(author=writer, thread=thread, body="thanks @alice")
    assert len(notes(alice, "mention")) == 1
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        posting.edit_post(editor=writer, post=post, body="thanks @alice and @bob")
    assert len(notes(alice, "mention")) == 1
    (note,) = notes(bob, "mention")
    assert note.post == post
    assert [m.to for m in mailoutbox] == [[bob.email]]


def test_editing_someone_elses_post_is_refused(reply_post):
    intruder = factories.user()
    before = db_state()
    with pytest.raises(NotAllowed) as exc:
        posting.edit_post(editor=intruder, post=reply_post, body="defaced")
    assert exc.value.code == "not_your_post"
    reply_post.refresh_from_db()
    assert reply_post.body == "Original **text**"
    assert reply_post.edit_count == 0
    assert db_state() == before


@pytest.mark.parametrize("make_editor", [factories.moderator, factories.staff], ids=["moderator", "staff"])
def test_moderators_may_edit_any_post(reply_post, make_editor):
    editor = make_editor()
    assert posting.edit_post(editor=editor, post=reply_post, body="[removed link]") is True
    reply_post.refresh_from_db()
    assert reply_post.body == "[removed link]"
    assert reply_post.revisions.get().editor == editor


def test_author_cannot_edit_in_a_locked_thread_but_a_moderator_can(reply_post):
    Thread.objects.filter(pk=reply_post.thread_id).update(locked=True)
    reply_post.refresh_from_db()
    with pytest.raises(NotAllowed):
        posting.edit_post(editor=reply_post.author, post=reply_post, body="sneaky")
    assert posting.edit_post(editor=factories.moderator(), post=reply_post, body="fixed") is True


# --- Input limits --------------------------------------------------------------------------

BAD_BODIES = {
    "empty": "",
    "whitespace": "  \n\t  \n ",
    "too_long": "x" * (limits.BODY_MAX + 1),
}
BAD_TITLES = {
    "empty": "",
    "whitespace": "     ",
    "too_short": "x" * (limits.TITLE_MIN - 1),
    "too_short_after_spaces": "  " + "x " * (limits.TITLE_MIN // 2) + "   ",
    "too_long": "x" * (limits.TITLE_MAX + 1),
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_start_thread_refuses_a_bad_body(flood_off, author, category, body):
    before = db_state()
    with pytest.raises(InvalidInput) as exc:
        posting.start_thread(author=author, category=category, title="Fine title", body=body)
    assert "body" in exc.value.fields
    assert db_state() == before


@pytest.mark.parametrize("title", BAD_TITLES.values(), ids=BAD_TITLES.keys())
def test_start_thread_refuses_a_bad_title(flood_off, author, category, title):
    before = db_state()
    with pytest.raises(InvalidInput) as exc:
        posting.start_thread(author=author, category=category, title=title, body="Fine body")
    assert "title" in exc.value.fields
    assert exc.value.status == 400
    assert db_state() == before


def test_title_and_body_at_their_limits_are_accepted(flood_off, author, category):
    shortest = posting.start_thread(author=author, category=category, title="x" * limits.TITLE_MIN, body="y")
    longest = posting.start_thread(
        author=author, category=category, title="t" * limits.TITLE_MAX, body="b" * limits.BODY_MAX
    )
    assert shortest.title == "x" * limits.TITLE_MIN
    assert len(longest.title) == limits.TITLE_MAX
    assert len(longest.posts.get().body) == limits.BODY_MAX


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_reply_refuses_a_bad_body(thread, body):
    before = db_state()
    with pytest.raises(InvalidInput) as exc:
        posting.reply(author=factories.user(), thread=thread, body=body)
    assert "body" in exc.value.fields
    assert db_state() == before
    thread.refresh_from_db()
    assert thread.reply_count == 0


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_edit_refuses_a_bad_body(reply_post, body):
    before = db_state()
    with pytest.raises(InvalidInput) as exc:
        posting.edit_post(editor=reply_post.author, post=reply_post, body=body)
    assert "body" in exc.value.fields
    reply_post.refresh_from_db()
    assert reply_post.body == "Original **text**"
    assert db_state() == before


# --- Locked and deleted threads ---------------------------------------------------------------


def test_members_cannot_reply_in_a_locked_thread(thread):
    Thread.objects.filter(pk=thread.pk).update(locked=True, locked_reason="Deal closed")
    thread.refresh_from_db()
    before = db_state()
    with pytest.raises(ThreadLocked) as exc:
        posting.reply(author=factories.user(), thread=thread, body="wait for me")
    assert exc.value.code == "thread_locked"
    assert exc.value.status == 403
    assert "Deal closed" in exc.value.message
    assert db_state() == before


@pytest.mark.parametrize("make_member", [factories.moderator, factories.staff], ids=["moderator", "staff"])
def test_moderators_can_reply_in_a_locked_thread(thread, make_member):
    Thread.objects.filter(pk=thread.pk).update(locked=True)
    thread.refresh_from_db()
    post = posting.reply(author=make_member(), thread=thread, body="Final word from the team")
    assert thread.posts.filter(pk=post.pk).exists()
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_nobody_replies_in_a_deleted_thread(thread):
    Thread.objects.filter(pk=thread.pk).update(deleted_at=timezone.now())
    thread.refresh_from_db()
    before = db_state()
    for member in (factories.user(), factories.moderator()):
        with pytest.raises(NotAllowed):
            posting.reply(author=member, thread=thread, body="hello?")
    assert db_state() == before


# --- Flood control -------------------------------------------------------------------------


@pytest.fixture
def flood_on(settings):
    settings.FORUM_FLOOD_SECONDS = 10
    settings.FORUM_NEW_MEMBER_FLOOD_SECONDS = 60
    settings.FORUM_NEW_MEMBER_DAYS = 2
    return settings


def age_posts(member, seconds):
    """Pretend the member's posts were written ``seconds`` earlier."""
    Post.objects.filter(author=member).update(created_at=timezone.now() - timedelta(seconds=seconds))
    PostingClock.objects.filter(user=member).update(last_posted_at=timezone.now() - timedelta(seconds=seconds))


def test_a_post_from_before_the_clock_existed_still_counts(flood_on, category):
    """Members who posted before the posting clock was added: their latest post starts it."""
    member = factories.user(joined_days_ago=30)
    thread = posting.start_thread(author=member, category=category, title="First", body="one")
    PostingClock.objects.filter(user=member).delete()
    with pytest.raises(FloodControl) as exc:
        posting.reply(author=member, thread=thread, body="two")
    assert 0 < exc.value.retry_after <= 10
    age_posts(member, 11)
    assert posting.reply(author=member, thread=thread, body="two").pk


def test_a_refused_post_does_not_move_the_clock(flood_on, category):
    member = factories.user(joined_days_ago=30)
    thread = posting.start_thread(author=member, category=category, title="First", body="one")
    age_posts(member, 11)
    with pytest.raises(InvalidInput):
        posting.reply(author=member, thread=thread, body="   ")
    assert posting.reply(author=member, thread=thread, body="two").pk


def test_second_post_within_the_interval_is_refused(flood_on, category):
    member = factories.user(joined_days_ago=30)
    thread = posting.start_thread(author=member, category=category, title="First", body="one")
    before = db_state()
    with pytest.raises(FloodControl) as exc:
        posting.reply(author=member, thread=thread, body="two")
    assert exc.value.status == 429
    assert exc.value.code == "flood_control"
    assert 0 < exc.value.retry_after <= 10
    with pytest.raises(FloodControl):
        posting.start_thread(author=member, category=category, title="Second", body="two")
    assert db_state() == before


def test_flood_control_is_per_member(flood_on, category):
    first = factories.user()
    thread = posting.start_thread(author=first, category=category, title="First", body="one")
    other = posting.reply(author=factories.user(), thread=thread, body="not me")
    assert other.pk


def test_posting_works_again_after_the_interval(flood_on, category):
    member = factories.user(joined_days_ago=30)
    thread = posting.start_thread(author=member, category=category, title="First", body="one")
    age_posts(member, 11)
    post = posting.reply(author=member, thread=thread, body="two")
    assert post.pk


def test_new_members_wait_longer(flood_on, category):
    veteran = factories.user(joined_days_ago=30)
    newcomer = factories.user(joined_days_ago=1)
    thread = posting.start_thread(author=veteran, category=category, title="First", body="one")
    posting.reply(author=newcomer, thread=thread, body="hi")
    age_posts(veteran, 30)
    age_posts(newcomer, 30)

    assert posting.reply(author=veteran, thread=thread, body="veteran again").pk
    with pytest.raises(FloodControl) as exc:
        posting.reply(author=newcomer, thread=thread, body="newcomer again")
    assert 10 < exc.value.retry_after <= 31

    age_posts(newcomer, 61)
    assert posting.reply(author=newcomer, thread=thread, body="newcomer later").pk


@pytest.mark.parametrize("make_member", [factories.moderator, factories.staff], ids=["moderator", "staff"])
def test_moderators_are_exempt_from_flood_control(flood_on, category, make_member):
    member = make_member()
    thread = posting.start_thread(author=member, category=category, title="Rules", body="one")
    posting.reply(author=member, thread=thread, body="two")
    posting.reply(author=member, thread=thread, body="three")
    assert thread.posts.count() == 3


def test_moderator_can_add_a_mention_to_a_post_whose_author_was_deleted(reply_post):
    alice = factories.user("alice")
    reply_post.author.delete()
    reply_post.refresh_from_db()
    assert reply_post.author is None
    assert posting.edit_post(editor=factories.moderator(), post=reply_post, body="see @alice") is True
    reply_post.refresh_from_db()
    assert reply_post.body == "see @alice"
    assert [n.kind for n in notes(alice)] == ["mention"]
