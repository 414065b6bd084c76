"""The plugin's own notifications, for forums that have none (ForumAdapter's default
notify): a row per member and message, an in-app list (views/notices.py) and an email
through Celery in the member's language, each emailed once."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from community_commerce.conf import conf
from community_commerce.models import Notice

BULK = 1000


def create(*, kind, items) -> list[int]:
    """One notice per ``(recipient id, msgid, params, url)`` item, in one insert, written
    in the caller's transaction; their emails are queued after it commits."""
    rows = [
        Notice(recipient_id=getattr(recipient, "pk", recipient), kind=kind, message=str(message),
               params=dict(params or {}), url=url or "")
        for recipient, message, params, url in items
    ]  # fmt: skip
    if not rows:
        return []
    ids = [n.pk for n in Notice.objects.bulk_create(rows, batch_size=BULK)]
    from community_commerce.tasks import send_notice_emails

    send_notice_emails.delay_on_commit(ids)
    return ids


def already_sent(*, kind, urls) -> set[str]:
    return set(Notice.objects.filter(kind=kind, url__in=list(urls)).values_list("url", flat=True))


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user, notice_ids=None) -> int:
    """Mark the member's notices read (all, or these); returns how many changed."""
    unread = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if notice_ids is not None:
        unread = unread.filter(pk__in=list(notice_ids))
    return unread.update(read_at=timezone.now())


def _absolute(url) -> str:
    return f"{conf.SITE_URL}{url}" if url.startswith("/") else url


def send_emails(notice_ids, *, language_of) -> int:
    """Email these notices to members with an address, each in the language
    ``language_of(user ids)`` gives. A notice is claimed by a conditional UPDATE of
    ``emailed_at`` before it is sent, so a task delivered twice sends it once."""
    notes = list(Notice.objects.filter(pk__in=list(notice_ids), emailed_at__isnull=True).select_related("recipient"))
    languages = language_of({n.recipient_id for n in notes}) if notes else {}
    sent = 0
    for note in notes:
        member = note.recipient
        if not member.email or not member.is_active:
            continue
        if not Notice.objects.filter(pk=note.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()):
            continue
        with translation.override(languages.get(member.pk) or settings.LANGUAGE_CODE):
            text = note.text
            body = _("%(text)s\n\n%(link)s\n\nAll your notices: %(notices)s") % {
                "text": text,
                "link": _absolute(note.url) if note.url else "",
                "notices": _absolute(reverse("community_commerce:notices")),
            }
        send_mail(subject=" ".join(text.split())[:200], message=body, from_email=None, recipient_list=[member.email])
        sent += 1
    return sent
