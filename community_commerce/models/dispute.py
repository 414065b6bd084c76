from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Dispute(models.Model):
    """A buyer's complaint about one order: at most one per order, ever (the one-to-one).
    While it is open the order is ``disputed``; staff end it with a refund or a rejection
    (services/disputes.py). ``order_status_before`` is where a rejection sends the order back."""

    class Reason(models.TextChoices):
        NOT_RECEIVED = "not_received", _("Not received")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("dispute status", "Open")
        REFUNDED = "refunded", _("Refunded")
        REJECTED = "rejected", _("Rejected")

    order = models.OneToOneField("community_commerce.Order", models.PROTECT, related_name="dispute")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason)
    details = models.TextField(_("details"))
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    order_status_before = models.CharField(max_length=20)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    resolution_reason = models.CharField(_("resolution"), max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="cc_dispute_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="cc_dispute_resolved_when_closed",
            ),
        ]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")

    def __str__(self):
        return f"{self.get_reason_display()} ({self.order_id})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class DisputeMessage(models.Model):
    """One message on a dispute's page, with the side its author spoke for."""

    class Side(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        MERCHANT = "merchant", _("Merchant")
        STAFF = "staff", _("Staff")

    dispute = models.ForeignKey(Dispute, models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    side = models.CharField(max_length=10, choices=Side)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
