from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community_commerce import reasons
from community_commerce.adapters import get_adapter


class Offer(models.Model):
    """One offer of any kind; ``terms`` holds what is particular to the kind
    (validated by its class in community_commerce.kinds)."""

    class Kind(models.TextChoices):
        GROUP_BUY = "group_buy", _("Group-buy")
        FLASH_SALE = "flash_sale", _("Flash sale")
        DUTCH_AUCTION = "dutch_auction", _("Dutch auction")
        TEAM_BUY = "team_buy", _("Team buy")
        LOWEST_UNIQUE = "lowest_unique", _("Lowest unique price")

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
    # The forum thread the offer is attached to, as the forum adapter resolves it: a plain
    # id, not a foreign key, so the plugin installs into any forum (adapters/base.py).
    thread_id = models.BigIntegerField(db_index=True)
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

    @property
    def cancelled_by_system(self) -> bool:
        """Cancelled by the plugin itself (its thread was deleted), not by a person."""
        return reasons.is_system(self.cancel_reason)

    @property
    def cancel_reason_shown(self) -> str:
        return reasons.shown(self.cancel_reason)

    def get_absolute_url(self):
        url = getattr(self, "_thread_url", None)  # set by load_urls for a page of offers
        if url is None:
            url = get_adapter().thread_url(self.thread_id)
        return f"{url}#offer-{self.pk}"

    @staticmethod
    def load_urls(offers) -> None:
        """Look the threads' URLs of a page of offers up at once (one adapter call), so
        ``get_absolute_url`` costs nothing per offer whatever the forum."""
        offers = [o for o in offers if o is not None]
        urls = get_adapter().thread_urls({o.thread_id for o in offers}) if offers else {}
        for offer in offers:
            offer._thread_url = urls.get(offer.thread_id)  # None (a thread gone): asked again alone
