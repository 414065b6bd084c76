from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community_commerce.conf import conf


def default_ship_days() -> int:
    return conf.DEFAULT_SHIP_DAYS


class Merchant(models.Model):
    """A member who sells. Only a verified merchant may post offers."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        VERIFIED = "verified", pgettext_lazy("merchant status", "Verified")
        SUSPENDED = "suspended", _("Suspended")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="merchant")
    display_name = models.CharField(_("shop name"), max_length=100)
    contact = models.CharField(_("contact"), max_length=200, help_text=_("Phone, email or address buyers can use."))
    payment_instructions = models.TextField(
        _("how to pay"), blank=True, help_text=_("Bank transfer details, cash on pick-up, ... shown to buyers.")
    )
    # The promise behind the on-time rate (services/reputation.py): paid orders ship within it.
    ships_within_days = models.PositiveSmallIntegerField(
        _("ships within (days)"),
        default=default_ship_days,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Days between payment and shipping that you promise buyers; shown on your offers."),
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    status_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")

    def __str__(self):
        return self.display_name

    @property
    def is_verified(self):
        return self.status == self.Status.VERIFIED


class MerchantEvent(models.Model):
    """Each status change of a merchant: who, when, from, to, why."""

    merchant = models.ForeignKey(Merchant, models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
