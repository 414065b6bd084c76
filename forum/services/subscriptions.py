"""Watching a thread: posting in it watches it; members can watch and unwatch."""

from forum.models import Subscription


def watch(*, user, thread) -> bool:
    _, created = Subscription.objects.get_or_create(user=user, thread=thread)
    return created


def unwatch(*, user, thread) -> bool:
    deleted, _ = Subscription.objects.filter(user=user, thread=thread).delete()
    return bool(deleted)


def is_watching(*, user, thread) -> bool:
    if not user.is_authenticated:
        return False
    return Subscription.objects.filter(user=user, thread=thread).exists()
