"""Notification emails. Each notification is emailed at most once: the task
claims it with a conditional UPDATE on ``emailed_at`` before sending."""

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from forum.models import MemberPreferences, Notification


def send_notification_emails(notification_ids) -> int:
    sent = 0
    notes = list(
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related("recipient")
    )
    prefs = MemberPreferences.objects.filter(user_id__in={n.recipient_id for n in notes})
    opted_out = {p.user_id for p in prefs if not p.email_notifications}
    language_of = {p.user_id: p.language for p in prefs if p.language}
    for note in notes:
        if note.recipient_id in opted_out or not note.recipient.email or not note.recipient.is_active:
            continue
        if not Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()):
            continue  # another delivery of this task took it
        link = f"{settings.SITE_URL}{note.url}" if note.url.startswith("/") else note.url
        # In the recipient's language (blank: the site's), whatever language this worker runs in.
        with translation.override(language_of.get(note.recipient_id) or settings.LANGUAGE_CODE):
            text = note.display_text
            body = _("%(text)s\n\n%(link)s\n\nYou can turn these emails off in your settings: %(settings)s") % {
                "text": text,
                "link": link,
                "settings": f"{settings.SITE_URL}/settings/",
            }
        send_mail(subject=text, message=body, from_email=None, recipient_list=[note.recipient.email])
        sent += 1
    return sent
