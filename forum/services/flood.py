"""Flood control: a minimum interval between a member's posts, longer for new accounts."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from forum.errors import FloodControl
from forum.models import Post
from forum.permissions import is_moderator


def interval_for(user) -> int:
    new_since = timezone.now() - timedelta(days=settings.FORUM_NEW_MEMBER_DAYS)
    if user.date_joined > new_since:
        return settings.FORUM_NEW_MEMBER_FLOOD_SECONDS
    return settings.FORUM_FLOOD_SECONDS


def check(user) -> None:
    """Raise FloodControl if the member posted less than their interval ago."""
    if is_moderator(user):
        return
    interval = interval_for(user)
    if interval <= 0:
        return
    last = (
        Post.objects.filter(author=user, kind=Post.Kind.POST)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return
    wait = interval - (timezone.now() - last).total_seconds()
    if wait > 0:
        raise FloodControl(retry_after=int(wait) + 1)
