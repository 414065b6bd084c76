"""Celery tasks of the forum: thin wrappers around services."""

from celery import shared_task

from forum.services.email import send_notification_emails as _send


@shared_task(ignore_result=True)
def send_notification_emails(notification_ids):
    """Email these notifications; safe to run twice (each is emailed once)."""
    return _send(notification_ids)
