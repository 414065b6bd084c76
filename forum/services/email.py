"""Notification emails. Each notification is emailed at most once: the task
claims it with a conditional UPDATE on ``emailed_at`` before sending."""

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from forum.models import MemberPreferences, Notification


def send_notification_emails(notification_ids) -> int:
    sent = 0
    opted_out = set(MemberPreferences.objects.filter(email_notifications=False).values_list("user_id", flat=True))
    for note in Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related(
        "recipient"
    ):
        if note.recipient_id in opted_out or not note.recipient.email or not note.recipient.is_active:
            continue
        if not Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()):
            continue  # another delivery of this task took it
        link = f"{settings.SITE_URL}{note.url}" if note.url.startswith("/") else note.url
        send_mail(
            subject=note.text,
            message=_("%(text)s\n\n%(link)s\n\nYou can turn these emails off in your settings: %(settings)s")
            % {"text": note.text, "link": link, "settings": f"{settings.SITE_URL}/settings/"},
            from_email=None,
            recipient_list=[note.recipient.email],
        )
        sent += 1
    return sent
