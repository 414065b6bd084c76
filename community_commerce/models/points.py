"""Member points (ARCHITECTURE.md rule 8): an append-only ledger of what each member
earned and spent, and a balance kept exactly right by conditional UPDATEs.

Points are earned (completed purchases, referrals that complete: ``pending`` until the
refund window passes, then ``available``), spent (guesses) and clawed back (a refund), never
bought. A change is always a new entry; an entry's amount is never edited. ``reverses``
makes "one clawback per earning" and "one refund per spend" facts of the database, and the
partial unique constraints "one earning per order and source", however often an event is
delivered.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class PointsEntry(models.Model):
    class Source(models.TextChoices):
        ORDER = "order", _("Completed purchase")
        REFERRAL = "referral", _("Referral")
        GUESS = "guess", _("Guess")
        CLAWBACK = "clawback", _("Clawback")
        REFUND = "refund", _("Points given back")
        STAFF = "staff", _("Staff adjustment")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        AVAILABLE = "available", _("Available")

    EARNED = (Source.ORDER, Source.REFERRAL)  # what an order earns, and a refund claws back

    member = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="points_entries")
    amount = models.IntegerField(_("points"))
    source = models.CharField(_("source"), max_length=10, choices=Source)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.AVAILABLE)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    order = models.ForeignKey(
        "community_commerce.Order", models.PROTECT, null=True, blank=True, related_name="points_entries"
    )
    offer = models.ForeignKey(
        "community_commerce.Offer", models.SET_NULL, null=True, blank=True, related_name="points_entries"
    )
    # Referral points: the member whose first completed order earned them (once per member).
    referred = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    # A clawback reverses an earning; a refund reverses a spend: once each.
    reverses = models.OneToOneField("self", models.PROTECT, null=True, blank=True, related_name="reversed_by")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(null=True, blank=True)  # a pending entry becomes available then

    class Meta:
        ordering = ["-id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="cc_points_not_zero"),
            models.UniqueConstraint(
                fields=["order", "member", "source"],
                condition=Q(order__isnull=False, source__in=["order", "referral"]),
                name="cc_points_earned_once",
            ),
            models.UniqueConstraint(
                fields=["referred"], condition=Q(source="referral"), name="cc_points_referral_once"
            ),
            models.CheckConstraint(condition=~Q(source="staff") | ~Q(reason=""), name="cc_points_staff_reason"),
        ]
        indexes = [
            models.Index(fields=["member", "created_at"], name="cc_points_member"),
            models.Index(fields=["available_at"], condition=Q(state="pending"), name="cc_points_due"),
        ]

    def __str__(self):
        return f"{self.amount:+d} ({self.source}) for {self.member_id}"

    @property
    def reason_shown(self) -> str:
        """The reason in the reader's language: ours are stored as msgids (gettext_noop),
        a staff member's text as written."""
        return gettext(self.reason) if self.reason else str(self.get_source_display())


class PointsBalance(models.Model):
    """A member's balance, the sum of their entries by state, kept by conditional UPDATEs
    in the same transaction as each entry (services/points.py); ``earned_today`` serves
    the daily earning cap. A test recomputes it from the entries."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, primary_key=True, related_name="points_balance"
    )
    available = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)
    earned_day = models.DateField(null=True, blank=True)
    earned_today = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("points balance")
        verbose_name_plural = _("points balances")

    def __str__(self):
        return f"{self.member_id}: {self.available} (+{self.pending} pending)"
