"""Starting threads, replying and editing: the member-facing write actions."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from forum import markdown, messages
from forum.errors import NotAllowed, ThreadLocked
from forum.limits import clean_body, clean_title
from forum.models import Post, PostRevision, Subscription, Thread
from forum.permissions import can_edit, can_reply, can_start_thread
from forum.services import flood, subscriptions
from forum.services.notifications import notify


def start_thread(*, author, category, title, body, check_flood=True) -> Thread:
    """``check_flood=False`` is for trusted callers only (demo data, imports)."""
    if not can_start_thread(author, category):
        raise NotAllowed(_("You may not start threads in this category."), code="category_closed")
    title, body = clean_title(title), clean_body(body)
    rendered = markdown.render(body)
    now = timezone.now()
    with transaction.atomic():
        if check_flood:
            flood.take_slot(author, now=now)
        thread = Thread.objects.create(
            category=category, title=title, author=author, created_at=now, last_activity_at=now, last_poster=author
        )
        post = Post.objects.create(thread=thread, author=author, body=body, html=rendered.html, created_at=now)
        subscriptions.watch(user=author, thread=thread)
        _notify_mentions(post=post, usernames=rendered.mentions)
    return thread


def reply(*, author, thread, body) -> Post:
    if thread.is_deleted:
        raise NotAllowed(_("This thread was deleted."), code="thread_deleted")
    if not can_reply(author, thread):
        if thread.locked:
            raise ThreadLocked(_("This thread is locked: %(reason)s") % {"reason": thread.locked_reason or "-"})
        raise NotAllowed()
    body = clean_body(body)
    rendered = markdown.render(body)
    now = timezone.now()
    with transaction.atomic():
        flood.take_slot(author, now=now)
        post = Post.objects.create(thread=thread, author=author, body=body, html=rendered.html, created_at=now)
        Thread.objects.filter(pk=thread.pk).update(
            reply_count=F("reply_count") + 1, last_activity_at=now, last_poster=author
        )
        mentioned = _notify_mentions(post=post, usernames=rendered.mentions)
        watchers = (
            Subscription.objects.filter(thread=thread).exclude(user_id__in=mentioned).values_list("user_id", flat=True)
        )
        notify(
            recipients=list(watchers),
            kind="reply",
            message=gettext_noop("%(user)s replied in “%(thread)s”"),
            params={"user": author.username, "thread": thread.title},
            url=post.get_absolute_url(),
            actor=author,
            thread=thread,
            post=post,
        )
        subscriptions.watch(user=author, thread=thread)
    return post


def edit_post(*, editor, post, body) -> bool:
    """Save a new text, keeping the old one as a revision. False when nothing changed."""
    if not can_edit(editor, post):
        raise NotAllowed(_("You may only edit your own posts."), code="not_your_post")
    body = clean_body(body)
    if body == post.body:
        return False
    before = set(markdown.render(post.body).mentions)
    rendered = markdown.render(body)
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        PostRevision.objects.create(post=locked, body=locked.body, html=locked.html, editor=editor)
        Post.objects.filter(pk=post.pk).update(
            body=body, html=rendered.html, edited_at=timezone.now(), edit_count=F("edit_count") + 1
        )
        post.refresh_from_db()
        _notify_mentions(post=post, usernames=[u for u in rendered.mentions if u not in before], actor=editor)
    return True


def _notify_mentions(*, post, usernames, actor=None) -> list[int]:
    if not usernames:
        return []
    from django.contrib.auth import get_user_model

    actor = actor or post.author
    ids = list(get_user_model().objects.filter(username__in=usernames).values_list("pk", flat=True))
    notify(
        recipients=ids,
        kind="mention",
        message=gettext_noop("%(user)s mentioned you in “%(thread)s”"),
        params={
            "user": getattr(actor, "username", None) or messages.label(gettext_noop("someone")),
            "thread": post.thread.title,
        },
        url=post.get_absolute_url(),
        actor=actor,
        thread=post.thread,
        post=post,
    )
    return ids
