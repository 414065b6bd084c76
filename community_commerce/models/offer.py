from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community_commerce.conf import conf


class Offer(models.Model):
    """One offer of any kind; ``terms`` holds what is particular to the kind
    (validated by its class in community_commerce.kinds)."""

    class Kind(models.TextChoices):
        GROUP_BUY = "group_buy", _("Group-buy")
        FLASH_SALE = "flash_sale", _("Flash sale")
        DUTCH_AUCTION = "dutch_auction", _("Dutch auction")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        LIVE = "live", _("Live")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SOLD_OUT = "sold_out", _("Sold out")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.SCHEDULED, Status.LIVE, Status.SOLD_OUT)  # not final yet

    kind = models.CharField(max_length=20, choices=Kind)
    thread = models.ForeignKey(conf.THREAD_MODEL, models.PROTECT, related_name="offers")
    merchant = models.ForeignKey("community_commerce.Merchant", models.PROTECT, related_name="offers")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    stock = models.PositiveIntegerField(_("units for sale"), null=True, blank=True)
    sold = models.PositiveIntegerField(default=0, help_text=_("Units taken: committed, reserved or sold."))
    per_user_limit = models.PositiveIntegerField(_("limit per member"), null=True, blank=True)
    terms = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status, default=Status.SCHEDULED)
    result_unit_price = models.DecimalField(max_digits=13, decimal_places=3, null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    revision = models.PositiveIntegerField(default=0, help_text=_("Bumped by every edit of the terms."))
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(sold__lte=F("stock")), name="cc_offer_not_oversold"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="cc_offer_ends_after_start"),
            models.CheckConstraint(condition=Q(stock__isnull=True) | Q(stock__gte=1), name="cc_offer_stock_positive"),
            models.CheckConstraint(
                condition=Q(per_user_limit__isnull=True) | Q(per_user_limit__gte=1), name="cc_offer_limit_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "ends_at"], name="cc_offer_due_close"),
            models.Index(fields=["status", "starts_at"], name="cc_offer_due_open"),
        ]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def kind_class(self):
        from community_commerce.kinds import get_kind

        return get_kind(self.kind)

    @property
    def stock_left(self):
        return None if self.stock is None else max(self.stock - self.sold, 0)

    @property
    def is_final(self):
        return self.closed_at is not None

    def is_open_at(self, now) -> bool:
        """Open by the clock: a late sweeper never lets a late claim in."""
        return self.closed_at is None and self.status != self.Status.CANCELLED and self.starts_at <= now < self.ends_at

    def get_absolute_url(self):
        from community_commerce import forum_adapter

        return f"{forum_adapter.thread_url(self.thread_id)}#offer-{self.pk}"
