"""Thread events: one-line notes in a thread written by the system (an offer opened, closed)."""

from django.db import transaction
from django.utils import timezone

from forum import markdown
from forum.models import Post, Thread


def post_event(*, thread_id: int, text: str) -> Post:
    """Append an event line to the thread and bump its activity. Not a reply: reply_count stays."""
    now = timezone.now()
    with transaction.atomic():
        post = Post.objects.create(
            thread_id=thread_id, author=None, kind=Post.Kind.EVENT, body=text, html=markdown.plain_event(text),
            created_at=now,
        )  # fmt: skip
        Thread.objects.filter(pk=thread_id).update(last_activity_at=now)
    return post
