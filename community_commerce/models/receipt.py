from django.db import models
from django.utils import timezone


class ReceiptReminder(models.Model):
    """The buyer of a shipped order was reminded that it completes by itself soon: once per
    order and shipment (``shipped_at``: a rejected dispute sends the order back and starts
    a new wait)."""

    order = models.ForeignKey("community_commerce.Order", models.CASCADE, related_name="+")
    shipped_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "shipped_at"], name="cc_receipt_reminder_once")]
