"""Moderator actions, what members can see of deleted content, and the report queue."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from forum.errors import ForumError, InvalidInput, NotAllowed
from forum.models import ModerationLog, Post, Report, Thread
from forum.services import moderation, reports
from tests import factories

pytestmark = pytest.mark.django_db

MODERATORS = pytest.mark.parametrize(
    "make_moderator", [factories.moderator, factories.staff], ids=["moderator", "staff"]
)


def thread_with_reply(**fields):
    """A thread with its first post and one reply (reply_count 1), then ``fields`` applied."""
    thread = factories.thread(title="Flash sale: headphones")
    factories.post(thread_=thread, body="a reply", bump=True)
    if fields:
        Thread.objects.filter(pk=thread.pk).update(**fields)
    thread.refresh_from_db()
    return thread


def last_post(thread):
    return thread.posts.order_by("-id").first()


def thread_state(thread):
    thread = Thread.objects.get(pk=thread.pk)
    return (
        thread.pinned,
        thread.locked,
        thread.locked_reason,
        thread.category_id,
        thread.deleted_at,
        thread.reply_count,
    )


def post_state(thread):
    return [(p.pk, p.deleted_at, p.deleted_by_id) for p in Post.objects.filter(thread=thread)]


# Each moderator action: (set-up fields of the thread, the call, what it must change).
# The post actions work on the thread's reply.
def _deleted_reply(thread):
    Post.objects.filter(pk=last_post(thread).pk).update(deleted_at=timezone.now())
    Thread.objects.filter(pk=thread.pk).update(reply_count=0)


ACTIONS = {
    "pin": ({}, None, lambda actor, t, _: moderation.pin(actor=actor, thread=t)),
    "unpin": ({"pinned": True}, None, lambda actor, t, _: moderation.unpin(actor=actor, thread=t)),
    "lock": ({}, None, lambda actor, t, _: moderation.lock(actor=actor, thread=t, reason="Sale  is over")),
    "unlock": (
        {"locked": True, "locked_reason": "spam"},
        None,
        lambda actor, t, _: moderation.unlock(actor=actor, thread=t),
    ),
    "move": ({}, None, lambda actor, t, target: moderation.move(actor=actor, thread=t, category=target)),
    "delete_thread": ({}, None, lambda actor, t, _: moderation.delete_thread(actor=actor, thread=t, reason="spam")),
    "restore_thread": (
        {"deleted_at": timezone.now()},
        None,
        lambda actor, t, _: moderation.restore_thread(actor=actor, thread=t),
    ),
    "delete_post": ({}, None, lambda actor, t, _: moderation.delete_post(actor=actor, post=last_post(t))),
    "restore_post": ({}, _deleted_reply, lambda actor, t, _: moderation.restore_post(actor=actor, post=last_post(t))),
}


def expected_change(action, thread, actor, target):
    thread.refresh_from_db()
    reply = last_post(thread)
    if action == "pin":
        assert thread.pinned
    elif action == "unpin":
        assert not thread.pinned
    elif action == "lock":
        assert thread.locked
        assert thread.locked_reason == "Sale is over"
    elif action == "unlock":
        assert not thread.locked
        assert thread.locked_reason == ""
    elif action == "move":
        assert thread.category == target
    elif action == "delete_thread":
        assert thread.deleted_at is not None
        assert thread.deleted_by == actor
    elif action == "restore_thread":
        assert thread.deleted_at is None
        assert thread.deleted_by is None
    elif action == "delete_post":
        assert reply.deleted_at is not None
        assert reply.deleted_by == actor
        assert thread.reply_count == 0
    elif action == "restore_post":
        assert reply.deleted_at is None
        assert thread.reply_count == 1
    else:
        raise AssertionError(action)


def prepared(action):
    fields, prepare, call = ACTIONS[action]
    thread = thread_with_reply(**fields)
    if prepare:
        prepare(thread)
        thread.refresh_from_db()
    return thread, call


@MODERATORS
@pytest.mark.parametrize("action", ACTIONS)
def test_action_changes_once_and_logs_once(action, make_moderator):
    actor = make_moderator()
    target = factories.category()
    thread, call = prepared(action)

    assert call(actor, thread, target) is True
    expected_change(action, thread, actor, target)
    state_after_first = (thread_state(thread), post_state(thread))

    assert call(actor, thread, target) is False
    assert (thread_state(thread), post_state(thread)) == state_after_first

    (log,) = ModerationLog.objects.all()
    assert log.action == action
    assert log.actor == actor
    assert log.thread_id == thread.pk
    if action.endswith("_post"):
        assert log.post == last_post(thread)


@pytest.mark.parametrize("actor_kind", ["member", "author", "anonymous", "inactive_staff"])
@pytest.mark.parametrize("action", ACTIONS)
def test_non_moderators_are_refused_and_nothing_changes(action, actor_kind):
    thread, call = prepared(action)
    actor = {
        "member": lambda: factories.user(),
        "author": lambda: thread.author,
        "anonymous": AnonymousUser,
        "inactive_staff": lambda: factories.user(is_staff=True, is_active=False),
    }[actor_kind]()
    target = factories.category()
    before = (thread_state(thread), post_state(thread))

    with pytest.raises(NotAllowed) as exc:
        call(actor, thread, target)
    assert exc.value.code == "not_moderator"
    assert exc.value.status == 403
    assert (thread_state(thread), post_state(thread)) == before
    assert not ModerationLog.objects.exists()


def test_lock_keeps_the_reason_and_logs_it():
    thread = thread_with_reply()
    mod = factories.moderator()
    moderation.lock(actor=mod, thread=thread, reason="  Duplicate of #12  ")
    thread.refresh_from_db()
    assert thread.locked_reason == "Duplicate of #12"
    assert ModerationLog.objects.get().reason == "Duplicate of #12"


def test_lock_twice_keeps_the_first_reason():
    thread = thread_with_reply()
    mod = factories.moderator()
    moderation.lock(actor=mod, thread=thread, reason="first")
    assert moderation.lock(actor=mod, thread=thread, reason="second") is False
    thread.refresh_from_db()
    assert thread.locked_reason == "first"


def test_too_long_reason_is_refused():
    thread = thread_with_reply()
    mod = factories.moderator()
    with pytest.raises(InvalidInput) as exc:
        moderation.lock(actor=mod, thread=thread, reason="x" * 301)
    assert "reason" in exc.value.fields
    with pytest.raises(InvalidInput):
        moderation.delete_post(actor=mod, post=last_post(thread), reason="x" * 301)
    thread.refresh_from_db()
    assert not thread.locked
    assert last_post(thread).deleted_at is None
    assert thread.reply_count == 1
    assert not ModerationLog.objects.exists()


def test_moving_to_the_same_category_changes_nothing():
    thread = thread_with_reply()
    assert moderation.move(actor=factories.moderator(), thread=thread, category=thread.category) is False
    assert not ModerationLog.objects.exists()


def test_move_needs_a_category():
    thread = thread_with_reply()
    with pytest.raises(InvalidInput) as exc:
        moderation.move(actor=factories.moderator(), thread=thread, category="elsewhere")
    assert "category" in exc.value.fields


# --- Deleting posts and the reply count ---------------------------------------------------------


def test_deleting_and_restoring_replies_keeps_the_reply_count():
    thread = factories.thread()
    first_reply = factories.post(thread_=thread, bump=True)
    second_reply = factories.post(thread_=thread, bump=True)
    mod = factories.moderator()
    thread.refresh_from_db()
    assert thread.reply_count == 2

    moderation.delete_post(actor=mod, post=first_reply)
    moderation.delete_post(actor=mod, post=second_reply)
    thread.refresh_from_db()
    assert thread.reply_count == 0

    moderation.restore_post(actor=mod, post=first_reply)
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_reply_count_never_goes_below_zero():
    thread = factories.thread()
    reply = factories.post(thread_=thread)  # reply_count left at 0
    assert moderation.delete_post(actor=factories.moderator(), post=reply) is True
    thread.refresh_from_db()
    assert thread.reply_count == 0


@MODERATORS
def test_the_first_post_cannot_be_deleted(make_moderator):
    thread = thread_with_reply()
    first = thread.posts.order_by("id").first()
    with pytest.raises(InvalidInput) as exc:
        moderation.delete_post(actor=make_moderator(), post=first)
    assert exc.value.code == "first_post"
    first.refresh_from_db()
    assert first.deleted_at is None
    thread.refresh_from_db()
    assert thread.reply_count == 1
    assert not ModerationLog.objects.exists()


# --- What members see ---------------------------------------------------------------------------


@pytest.fixture
def mixed_content():
    live = factories.thread(title="Live thread")
    kept_reply = factories.post(thread_=live, body="kept")
    gone_reply = factories.post(thread_=live, body="gone")
    gone = factories.thread(title="Deleted thread")
    mod = factories.moderator()
    moderation.delete_post(actor=mod, post=gone_reply)
    moderation.delete_thread(actor=mod, thread=gone)
    return live, gone, kept_reply, gone_reply


def test_members_and_visitors_do_not_see_deleted_threads_or_posts(mixed_content):
    live, gone, kept_reply, gone_reply = mixed_content
    for viewer in (factories.user(), AnonymousUser(), gone.author):
        assert list(Thread.objects.visible_to(viewer)) == [live]
        visible_posts = set(Post.objects.visible_to(viewer).filter(thread=live))
        assert kept_reply in visible_posts
        assert gone_reply not in visible_posts


@MODERATORS
def test_moderators_see_deleted_threads_and_posts(mixed_content, make_moderator):
    live, gone, kept_reply, gone_reply = mixed_content
    viewer = make_moderator()
    assert set(Thread.objects.visible_to(viewer)) == {live, gone}
    assert {kept_reply, gone_reply} <= set(Post.objects.visible_to(viewer))


def test_restored_thread_is_visible_again(mixed_content):
    _, gone, _, _ = mixed_content
    moderation.restore_thread(actor=factories.moderator(), thread=gone)
    assert gone in Thread.objects.visible_to(factories.user())


# --- Reports -------------------------------------------------------------------------------------


@pytest.fixture
def reported():
    thread = thread_with_reply()
    return last_post(thread)


def test_report_creates_an_open_report(reported):
    reporter = factories.user()
    report = reports.report_post(reporter=reporter, post=reported, reason="  Spam link  ")
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN
    assert report.reporter == reporter
    assert report.post == reported
    assert report.reason == "Spam link"


def test_the_same_member_cannot_report_a_post_twice_while_open(reported):
    reporter = factories.user()
    reports.report_post(reporter=reporter, post=reported, reason="Spam")
    with pytest.raises(ForumError) as exc:
        reports.report_post(reporter=reporter, post=reported, reason="Still spam")
    assert exc.value.code == "already_reported"
    assert Report.objects.count() == 1
    # another member still can
    reports.report_post(reporter=factories.user(), post=reported, reason="Rude")
    assert Report.objects.filter(status=Report.Status.OPEN).count() == 2


def test_a_member_can_report_again_once_the_report_was_handled(reported):
    reporter = factories.user()
    first = reports.report_post(reporter=reporter, post=reported, reason="Spam")
    moderation.handle_report(actor=factories.moderator(), report=first, resolution=Report.Status.DISMISSED)
    second = reports.report_post(reporter=reporter, post=reported, reason="It is back")
    assert second.status == Report.Status.OPEN
    assert Report.objects.count() == 2


def test_members_cannot_report_their_own_post(reported):
    with pytest.raises(NotAllowed) as exc:
        reports.report_post(reporter=reported.author, post=reported, reason="oops")
    assert exc.value.code == "own_post"
    assert not Report.objects.exists()


def test_visitors_cannot_report(reported):
    with pytest.raises(NotAllowed):
        reports.report_post(reporter=AnonymousUser(), post=reported, reason="spam")
    assert not Report.objects.exists()


@pytest.mark.parametrize("reason", ["", "   \n ", None, "x" * 1001], ids=["empty", "blank", "none", "too_long"])
def test_report_needs_a_reason(reported, reason):
    with pytest.raises(InvalidInput) as exc:
        reports.report_post(reporter=factories.user(), post=reported, reason=reason)
    assert "reason" in exc.value.fields
    assert not Report.objects.exists()


@MODERATORS
@pytest.mark.parametrize("resolution", [Report.Status.RESOLVED, Report.Status.DISMISSED])
def test_handle_report_closes_it_once(reported, make_moderator, resolution):
    report = factories.report(post_=reported)
    first_mod, second_mod = make_moderator(), factories.moderator()
    assert moderation.handle_report(actor=first_mod, report=report, resolution=resolution) is True
    report.refresh_from_db()
    assert report.status == resolution
    assert report.handled_by == first_mod
    handled_at = report.handled_at
    assert handled_at is not None

    assert moderation.handle_report(actor=second_mod, report=report, resolution=Report.Status.RESOLVED) is False
    report.refresh_from_db()
    assert (report.status, report.handled_by, report.handled_at) == (resolution, first_mod, handled_at)


def test_only_moderators_handle_reports(reported):
    report = factories.report(post_=reported)
    for actor in (factories.user(), report.reporter, reported.author, AnonymousUser()):
        with pytest.raises(NotAllowed):
            moderation.handle_report(actor=actor, report=report, resolution=Report.Status.DISMISSED)
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN
    assert report.handled_by is None


def test_handle_report_needs_a_known_resolution(reported):
    report = factories.report(post_=reported)
    with pytest.raises(InvalidInput):
        moderation.handle_report(actor=factories.moderator(), report=report, resolution="open")
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN
