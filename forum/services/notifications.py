"""In-app notifications, with an email for members who keep email on.

``notify`` is the one way to tell members something; other apps (the commerce
plugin) call it through their adapter. Emails go out from a Celery task after
the transaction commits, so a rolled-back action never sends mail.
"""

from django.db import transaction
from django.utils import timezone

from forum.models import Notification


def notify(*, recipients, kind, text, url="", actor=None, thread=None, post=None, email=True) -> list[int]:
    """Create one notification per recipient (the actor excluded); return their ids."""
    actor_id = getattr(actor, "pk", None)
    recipient_ids = list(dict.fromkeys(getattr(r, "pk", r) for r in recipients))
    rows = [
        Notification(
            recipient_id=rid,
            actor_id=actor_id,
            kind=kind,
            text=str(text)[:300],
            url=url,
            thread=thread,
            post=post,
        )
        for rid in recipient_ids
        if rid and rid != actor_id
    ]
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created]  # PostgreSQL and SQLite >= 3.35 return the ids
    if email:
        from forum.tasks import send_notification_emails

        transaction.on_commit(lambda: send_notification_emails.delay(ids))
    return ids


def notify_each(*, kind, items, actor=None, email=True) -> list[int]:
    """One notification per (recipient, text, url) in ``items``, in one insert."""
    rows = [
        Notification(recipient_id=getattr(r, "pk", r), actor=actor, kind=kind, text=str(text)[:300], url=url)
        for r, text, url in items
    ]
    if not rows:
        return []
    ids = [n.pk for n in Notification.objects.bulk_create(rows, batch_size=1000)]
    if email:
        from forum.tasks import send_notification_emails

        transaction.on_commit(lambda: send_notification_emails.delay(ids))
    return ids


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user, notification_ids=None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
