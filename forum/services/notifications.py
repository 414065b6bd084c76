"""In-app notifications, with an email for members who keep email on.

``notify`` is the one way to tell members something; other apps (the commerce
plugin) call it through their adapter. Emails go out from a Celery task after
the transaction commits, so a rolled-back action never sends mail.
"""

from django.db import transaction
from django.utils import timezone

from forum import messages
from forum.models import Notification


def _stored(message, params, text):
    """(message, params, text) as stored: a msgid and its params, shown in the reader's
    language, with its English rendering in ``text``; or a final ``text`` alone."""
    if message:
        params = dict(params or {})
        return str(message), params, messages.english(message, params)[:300]
    return "", {}, str(text)[:300]


def notify(
    *, recipients, kind, message="", params=None, text="", url="", actor=None, thread=None, post=None, email=True
) -> list[int]:
    """Create one notification per recipient (the actor excluded); return their ids.

    ``message`` + ``params``: a msgid (marked with gettext_noop where it is written) and its
    values, rendered in each reader's language (forum.messages). ``text``: a final text."""
    message, params, text = _stored(message, params, text)
    actor_id = getattr(actor, "pk", None)
    recipient_ids = list(dict.fromkeys(getattr(r, "pk", r) for r in recipients))
    rows = [
        Notification(
            recipient_id=rid,
            actor_id=actor_id,
            kind=kind,
            text=text,
            message=message,
            params=params,
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
    """One notification per item, in one insert. An item is (recipient, message, params, url)
    (a msgid and its params, as in ``notify``) or (recipient, text, url) (a final text)."""
    rows = []
    for item in items:
        if len(item) == 4:
            recipient, message, params, url = item
            stored = _stored(message, params, "")
        else:
            recipient, text, url = item
            stored = _stored("", None, text)
        message, params, text = stored
        rows.append(
            Notification(
                recipient_id=getattr(recipient, "pk", recipient),
                actor=actor,
                kind=kind,
                text=text,
                message=message,
                params=params,
                url=url,
            )
        )
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
