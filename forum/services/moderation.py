"""Moderator actions. Each is one conditional UPDATE: it returns True when it
changed something and False when the thread or post was already that way, so
a double click or a retried request is harmless. Each change is logged."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from forum import extensions
from forum.errors import InvalidInput, NotAllowed
from forum.limits import clean_reason
from forum.models import Category, ModerationLog, Post, Report, Thread
from forum.permissions import is_moderator


def _require_moderator(user):
    if not is_moderator(user):
        raise NotAllowed(_("Only moderators can do that."), code="not_moderator")


def _transition(*, actor, action, queryset, changes, thread=None, post=None, reason="") -> bool:
    with transaction.atomic():
        changed = queryset.update(**changes) == 1
        if changed:
            ModerationLog.objects.create(actor=actor, action=action, thread=thread, post=post, reason=reason)
    return changed


def pin(*, actor, thread) -> bool:
    _require_moderator(actor)
    qs = Thread.objects.filter(pk=thread.pk, pinned=False)
    return _transition(actor=actor, action="pin", queryset=qs, changes={"pinned": True}, thread=thread)


def unpin(*, actor, thread) -> bool:
    _require_moderator(actor)
    qs = Thread.objects.filter(pk=thread.pk, pinned=True)
    return _transition(actor=actor, action="unpin", queryset=qs, changes={"pinned": False}, thread=thread)


def lock(*, actor, thread, reason="") -> bool:
    _require_moderator(actor)
    reason = clean_reason(reason)
    qs = Thread.objects.filter(pk=thread.pk, locked=False)
    return _transition(
        actor=actor,
        action="lock",
        queryset=qs,
        changes={"locked": True, "locked_reason": reason},
        thread=thread,
        reason=reason,
    )


def unlock(*, actor, thread) -> bool:
    _require_moderator(actor)
    qs = Thread.objects.filter(pk=thread.pk, locked=True)
    return _transition(
        actor=actor, action="unlock", queryset=qs, changes={"locked": False, "locked_reason": ""}, thread=thread
    )


def move(*, actor, thread, category) -> bool:
    _require_moderator(actor)
    if not isinstance(category, Category):
        raise InvalidInput(fields={"category": [_("Choose a category.")]})
    qs = Thread.objects.filter(pk=thread.pk).exclude(category=category)
    return _transition(
        actor=actor,
        action="move",
        queryset=qs,
        changes={"category": category},
        thread=thread,
        reason=f"-> {category.slug}",
    )


def delete_thread(*, actor, thread, reason="") -> bool:
    """Hidden from members (moderators still see it); apps told in the same transaction."""
    _require_moderator(actor)
    qs = Thread.objects.filter(pk=thread.pk, deleted_at__isnull=True)
    with transaction.atomic():
        changed = _transition(
            actor=actor,
            action="delete_thread",
            queryset=qs,
            changes={"deleted_at": timezone.now(), "deleted_by": actor},
            thread=thread,
            reason=clean_reason(reason),
        )
        if changed:
            extensions.thread_deleted(thread)
    return changed


def restore_thread(*, actor, thread) -> bool:
    _require_moderator(actor)
    qs = Thread.objects.filter(pk=thread.pk, deleted_at__isnull=False)
    return _transition(
        actor=actor,
        action="restore_thread",
        queryset=qs,
        changes={"deleted_at": None, "deleted_by": None},
        thread=thread,
    )


def _is_first_post(post) -> bool:
    first_id = Post.objects.filter(thread_id=post.thread_id).order_by("id").values_list("id", flat=True).first()
    return first_id == post.pk


def delete_post(*, actor, post, reason="") -> bool:
    _require_moderator(actor)
    if _is_first_post(post):
        raise InvalidInput(_("The first post is the thread: delete the thread instead."), code="first_post")
    with transaction.atomic():
        changed = _transition(
            actor=actor,
            action="delete_post",
            queryset=Post.objects.filter(pk=post.pk, deleted_at__isnull=True),
            changes={"deleted_at": timezone.now(), "deleted_by": actor},
            thread=post.thread,
            post=post,
            reason=clean_reason(reason),
        )
        if changed:
            Thread.objects.filter(pk=post.thread_id, reply_count__gt=0).update(reply_count=F("reply_count") - 1)
    return changed


def restore_post(*, actor, post) -> bool:
    _require_moderator(actor)
    with transaction.atomic():
        changed = _transition(
            actor=actor,
            action="restore_post",
            queryset=Post.objects.filter(pk=post.pk, deleted_at__isnull=False),
            changes={"deleted_at": None, "deleted_by": None},
            thread=post.thread,
            post=post,
        )
        if changed:
            Thread.objects.filter(pk=post.thread_id).update(reply_count=F("reply_count") + 1)
    return changed


def handle_report(*, actor, report, resolution) -> bool:
    """Close an open report as resolved or dismissed."""
    _require_moderator(actor)
    if resolution not in (Report.Status.RESOLVED, Report.Status.DISMISSED):
        raise InvalidInput(fields={"resolution": [_("Choose resolved or dismissed.")]})
    return _transition(
        actor=actor,
        action=f"report_{resolution}",
        queryset=Report.objects.filter(pk=report.pk, status=Report.Status.OPEN),
        changes={"status": resolution, "handled_by": actor, "handled_at": timezone.now()},
        thread=report.post.thread,
        post=report.post,
    )
