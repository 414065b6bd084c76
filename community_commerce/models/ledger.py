"""The commission ledger (ARCHITECTURE.md rule 8): what each paid order earns the forum
(CPS) and the member whose link brought it (referral CPS, CPA), who pays it (the order's
merchant), and what became of it.

Append-only: an amount is never edited. A status moves by a conditional UPDATE
(pending -> approved -> paid, pending -> void) and a cancellation after approval adds a
new ``reversed`` entry of the opposite sign (``reverses``), deducted by the next payout.
The unique constraints make "one entry per order, beneficiary and kind" a fact of the
database, however often an event is delivered.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community_commerce.models.coupon import CHANNEL_MAX

LIVE_CPA = ("pending", "approved", "paid", "fraud")  # a member is acquired once: these hold the place
STANDING = ("pending", "approved", "paid", "reversed")  # what the merchant owes (void and fraud cost nothing)


class Programme(models.Model):
    """The commission programme the operator sets in the admin: one row. An empty field
    falls back to its setting (community_commerce/conf.py), so the defaults live in one place."""

    forum_cps_percent = models.DecimalField(
        _("forum CPS (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        help_text=_("What merchants owe the forum on each paid order. Empty: the setting COMMUNITY_COMMERCE_FORUM_CPS_PERCENT."),
    )  # fmt: skip
    referral_cps_percent = models.DecimalField(
        _("referral CPS (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        help_text=_("What a member earns on a sale their link brought. Empty: COMMUNITY_COMMERCE_REFERRAL_CPS_PERCENT."),
    )  # fmt: skip
    cpa_amount = models.DecimalField(
        _("CPA amount"), max_digits=13, decimal_places=3, null=True, blank=True,
        help_text=_("What a member earns when someone who signed up through their link completes a first order, "
                    "in the order's currency. Empty: COMMUNITY_COMMERCE_CPA_AMOUNT."),
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("commission programme")
        verbose_name_plural = _("commission programme")
        constraints = [
            models.CheckConstraint(
                condition=Q(forum_cps_percent__gte=0, forum_cps_percent__lte=100), name="cc_prog_forum"
            ),
            models.CheckConstraint(
                condition=Q(referral_cps_percent__gte=0, referral_cps_percent__lte=100), name="cc_prog_referral"
            ),
            models.CheckConstraint(condition=Q(cpa_amount__gte=0), name="cc_prog_cpa"),
        ]

    def __str__(self):
        return str(_("Commission programme"))


class CategoryRate(models.Model):
    """The forum's CPS rate for the offers of one category (the forum adapter's category id)."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="category_rates")
    category_id = models.BigIntegerField(_("category id"), unique=True)
    forum_cps_percent = models.DecimalField(_("forum CPS (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("category rate")
        verbose_name_plural = _("category rates")
        constraints = [
            models.CheckConstraint(
                condition=Q(forum_cps_percent__gte=0, forum_cps_percent__lte=100), name="cc_category_rate_range"
            )
        ]

    def __str__(self):
        return f"{self.category_id}: {self.forum_cps_percent}%"


class Payout(models.Model):
    """Staff recorded that a merchant paid a beneficiary (the forum, or a member through the
    forum) what was approved up to a date, less the reversals not deducted yet."""

    merchant = models.ForeignKey("community_commerce.Merchant", models.PROTECT, related_name="payouts")
    beneficiary = models.CharField(max_length=6)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    currency = models.CharField(max_length=3)
    up_to = models.DateField(_("approved up to"))
    reference = models.CharField(_("reference"), max_length=100)
    amount = models.DecimalField(max_digits=15, decimal_places=3)
    entries = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [  # a reference is recorded once per party (two constraints: NULLs are distinct)
            models.UniqueConstraint(
                fields=["reference", "merchant", "currency"],
                condition=Q(member__isnull=True),
                name="cc_payout_forum_once",
            ),
            models.UniqueConstraint(
                fields=["reference", "merchant", "member", "currency"],
                condition=Q(member__isnull=False),
                name="cc_payout_member_once",
            ),
        ]

    def __str__(self):
        return self.reference


class CommissionEntry(models.Model):
    class Beneficiary(models.TextChoices):
        FORUM = "forum", _("The forum")
        MEMBER = "member", _("A member")

    class Kind(models.TextChoices):
        CPS = "cps", _("Per sale")
        CPA = "cpa", _("Per acquisition")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        VOID = "void", _("Void")
        REVERSED = "reversed", _("Reversed")
        FRAUD = "fraud", _("Refused (fraud)")

    order = models.ForeignKey("community_commerce.Order", models.PROTECT, related_name="commissions")
    # Copied from the order (append-only rows: they never go stale), so reports read this table alone.
    merchant = models.ForeignKey("community_commerce.Merchant", models.PROTECT, related_name="commissions")
    offer = models.ForeignKey("community_commerce.Offer", models.PROTECT, related_name="+")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    channel = models.CharField(max_length=CHANNEL_MAX)
    currency = models.CharField(max_length=3)
    order_created_at = models.DateTimeField()

    beneficiary = models.CharField(max_length=6, choices=Beneficiary)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="commission_entries"
    )
    kind = models.CharField(max_length=3, choices=Kind)
    link = models.ForeignKey("community_commerce.ShareLink", models.SET_NULL, null=True, blank=True, related_name="+")
    base = models.DecimalField(max_digits=15, decimal_places=3, null=True, blank=True)  # the total a rate applies to
    rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)  # percent; None for CPA
    amount = models.DecimalField(max_digits=15, decimal_places=3)
    status = models.CharField(max_length=8, choices=Status)
    rule = models.CharField(max_length=20, blank=True)  # a fraud rule's code (services/commissions.py)
    reason = models.CharField(max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="reversal"
    )  # a reversal entry: unique, so an entry is reversed at most once
    payout = models.ForeignKey(Payout, models.PROTECT, null=True, blank=True, related_name="items")
    created_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("commission entry")
        verbose_name_plural = _("commission entries")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "beneficiary", "kind"], condition=Q(reverses__isnull=True), name="cc_commission_once"
            ),
            # A member is acquired once: one CPA per buyer while it stands (a void one gives the place back).
            models.UniqueConstraint(
                fields=["buyer"],
                condition=Q(kind="cpa", reverses__isnull=True, status__in=LIVE_CPA),
                name="cc_commission_cpa_once",
            ),
            models.CheckConstraint(
                condition=Q(beneficiary="forum", member__isnull=True) | Q(beneficiary="member", member__isnull=False),
                name="cc_commission_beneficiary",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, amount__gte=0) & ~Q(status="reversed")
                | Q(reverses__isnull=False, amount__lte=0, status="reversed"),
                name="cc_commission_sign",
            ),
        ]
        indexes = [
            models.Index(fields=["order"], condition=Q(status="pending"), name="cc_commission_pending"),
            models.Index(fields=["merchant", "order_created_at"], name="cc_commission_merchant"),
            models.Index(fields=["member", "created_at"], name="cc_commission_member"),
            models.Index(fields=["beneficiary", "created_at"], name="cc_commission_month"),
            models.Index(fields=["status", "approved_at"], name="cc_commission_approved"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.status})"


class PromotionCost(models.Model):
    """Money a merchant spent promoting an offer on a channel: the cost in the report's ROI."""

    offer = models.ForeignKey("community_commerce.Offer", models.CASCADE, related_name="costs")
    merchant = models.ForeignKey("community_commerce.Merchant", models.CASCADE, related_name="costs")
    channel = models.CharField(_("channel"), max_length=CHANNEL_MAX)
    amount = models.DecimalField(_("amount"), max_digits=15, decimal_places=3)
    currency = models.CharField(max_length=3)
    note = models.CharField(_("note"), max_length=200, blank=True)
    spent_on = models.DateField(_("spent on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("promotion cost")
        verbose_name_plural = _("promotion costs")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="cc_cost_positive")]
        indexes = [models.Index(fields=["merchant", "spent_on"], name="cc_cost_merchant")]

    def __str__(self):
        return f"{self.channel}: {self.amount} {self.currency}"
