"""The plugin's own notifications and thread events, for forums that have none
(the defaults of adapters/base.py). Both are stored language-neutral: an English
msgid and its params, rendered in each reader's language (community_commerce.messages)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from community_commerce import messages


class Notice(models.Model):
    """Something a member is told: "your order is paid", "the group-buy succeeded"."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    message = models.TextField()  # the msgid
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="cc_notice_unread"),
            models.Index(fields=["kind", "url"], name="cc_notice_kind_url"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.recipient_id}"

    @property
    def text(self) -> str:
        """The notice in the current language."""
        return messages.render(self.message, self.params)


class ThreadEvent(models.Model):
    """A line about an offer in a thread ("Flash sale is live: Tea"), shown in the offer panel."""

    thread_id = models.BigIntegerField()
    message = models.TextField()  # the msgid
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["thread_id", "id"], name="cc_thread_event_thread")]

    def __str__(self):
        return f"event in thread {self.thread_id}"

    @property
    def text(self) -> str:
        return messages.render(self.message, self.params)
