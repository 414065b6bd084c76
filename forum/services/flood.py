"""Flood control: a minimum interval between a member's posts, longer for new accounts.

The check and the claim of the slot are one conditional UPDATE of the member's
PostingClock, run inside the transaction that writes the post: of eight posts sent at
once, one moves the clock and the other seven find it moved. A post that fails later
rolls the clock back with it.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from forum.errors import FloodControl
from forum.models import Post, PostingClock
from forum.permissions import is_moderator


def interval_for(user) -> int:
    new_since = timezone.now() - timedelta(days=settings.FORUM_NEW_MEMBER_DAYS)
    if user.date_joined > new_since:
        return settings.FORUM_NEW_MEMBER_FLOOD_SECONDS
    return settings.FORUM_FLOOD_SECONDS


def take_slot(user, now=None) -> None:
    """Move the member's clock to ``now``, or raise FloodControl if they posted less than
    their interval ago. Call it inside the transaction that saves the post."""
    if is_moderator(user):
        return
    interval = interval_for(user)
    if interval <= 0:
        return
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=interval)
    clocks = PostingClock.objects.filter(user=user)
    if clocks.filter(last_posted_at__lte=cutoff).update(last_posted_at=now):
        return
    last = clocks.values_list("last_posted_at", flat=True).first()
    if last is None:
        last = _start_clock(user, now=now, cutoff=cutoff)
        if last is None:
            return
    raise FloodControl(retry_after=max(math.ceil(interval - (now - last).total_seconds()), 1))


def _start_clock(user, *, now, cutoff):
    """A member's first post since the clock existed: start it from their latest post.
    Returns None when this post may go, else the time of the post that blocks it."""
    latest = (
        Post.objects.filter(author=user, kind=Post.Kind.POST)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    recent = latest is not None and latest > cutoff
    try:
        with transaction.atomic():  # a savepoint: a concurrent first post may insert the row first
            PostingClock.objects.create(user=user, last_posted_at=latest if recent else now)
    except IntegrityError:
        return PostingClock.objects.filter(user=user).values_list("last_posted_at", flat=True).get()
    return latest if recent else None
