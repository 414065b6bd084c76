"""Coupons: an amount or a percentage off an offer's unit price.

Two counters a crowd races for, each taken with one conditional UPDATE
(ARCHITECTURE.md rule 9): ``uses`` (``uses + 1 <= max_uses``) and, for a handout,
``handed_out``. The unique constraints do the rest: one grant per member and
coupon, one *live* use per member and coupon (a released use no longer counts).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CODE_MAX = 40
CHANNEL_MAX = 40


class Coupon(models.Model):
    class Type(models.TextChoices):
        AMOUNT = "amount", _("Amount off")
        PERCENT = "percent", _("Percent off")

    offer = models.ForeignKey("community_commerce.Offer", models.CASCADE, related_name="coupons")
    code = models.CharField(_("code"), max_length=CODE_MAX)  # normalised: upper case, no spaces
    discount_type = models.CharField(_("discount"), max_length=7, choices=Type)
    value = models.DecimalField(_("value"), max_digits=13, decimal_places=3)
    max_uses = models.PositiveIntegerField(_("uses in all"), null=True, blank=True)  # None: no limit
    uses = models.PositiveIntegerField(_("uses"), default=0)
    handout = models.BooleanField(_("handout"), default=False)  # members take one each before using it
    handed_out = models.PositiveIntegerField(_("handed out"), default=0)
    min_quantity = models.PositiveIntegerField(_("minimum quantity"), default=1)
    starts_at = models.DateTimeField(_("valid from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=CHANNEL_MAX, blank=True)  # "": the coupon names none
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "code"], name="cc_coupon_code_once"),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=F("max_uses")), name="cc_coupon_not_overused"
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(handed_out__lte=F("max_uses")),
                name="cc_coupon_not_overhanded",
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="cc_coupon_value_positive"),
            models.CheckConstraint(
                condition=~Q(discount_type="percent") | Q(value__lte=100), name="cc_coupon_percent_at_most_100"
            ),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="cc_coupon_min_quantity_positive"),
            models.CheckConstraint(
                condition=Q(handout=False) | Q(max_uses__isnull=False), name="cc_coupon_handout_bounded"
            ),
        ]
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")

    def __str__(self):
        return self.code


class CouponGrant(models.Model):
    """A handout coupon a member took: theirs to use (once at a time)."""

    coupon = models.ForeignKey(Coupon, models.CASCADE, related_name="grants")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="coupon_grants")
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["coupon", "member"], name="cc_coupon_grant_once")]
        verbose_name = _("coupon taken")
        verbose_name_plural = _("coupons taken")


class CouponUse(models.Model):
    """A coupon used by a claim. Live while its claim holds units; released (once,
    by a conditional UPDATE) when the claim is withdrawn, expires, is cancelled or
    its group-buy fails, which gives the use back to the coupon."""

    class Status(models.TextChoices):
        LIVE = "live", _("Used")
        RELEASED = "released", _("Given back")

    coupon = models.ForeignKey(Coupon, models.PROTECT, related_name="coupon_uses")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    claim = models.OneToOneField("community_commerce.Claim", models.CASCADE, related_name="coupon_use")
    status = models.CharField(max_length=8, choices=Status, default=Status.LIVE)
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["coupon", "member"], condition=Q(status="live"), name="cc_coupon_use_once_per_member"
            ),
        ]
        verbose_name = _("coupon use")
        verbose_name_plural = _("coupon uses")
