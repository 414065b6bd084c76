from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Claim(models.Model):
    """A member's take on an offer: a commitment (group-buy) or a reservation with an order."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Committed")  # group-buy, waiting for the close
        ORDERED = "ordered", _("Ordered")  # has an order
        WITHDRAWN = "withdrawn", _("Withdrawn")
        RELEASED = "released", _("Released")  # the group-buy failed or the offer was cancelled
        EXPIRED = "expired", _("Expired")  # the reservation was not paid in time
        CANCELLED = "cancelled", _("Cancelled")  # its order was cancelled or refunded

    HOLDING = (Status.ACTIVE, Status.ORDERED)  # statuses that hold units

    # Indexes: every one is written by each claim, so none is kept twice. The offer's is
    # cc_claim_offer_status; the buyer's is cc_claim_buyer_recent, (buyer, id), which a member's
    # newest claims are read from (with the buyer alone, PostgreSQL may walk the whole table
    # backwards by id for a member with none); the mostly empty link, coupon and team have partial ones.
    offer = models.ForeignKey("community_commerce.Offer", models.CASCADE, related_name="claims", db_index=False)
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="offer_claims", db_index=False)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=13, decimal_places=3)  # in the offer currency's decimals
    status = models.CharField(max_length=10, choices=Status, default=Status.ACTIVE)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # When the buyer was told "you joined / you reserved" (the sweeper, in batches, off the claim's path).
    notified_at = models.DateTimeField(null=True, blank=True)
    # Where the claim came from (ARCHITECTURE.md rule 10), decided when it is made: the coupon's
    # channel, else the last share link within the attribution window, else "forum".
    channel = models.CharField(max_length=40, default="forum")
    link = models.ForeignKey(
        "community_commerce.ShareLink", models.SET_NULL, null=True, blank=True, related_name="claims", db_index=False
    )
    coupon = models.ForeignKey(
        "community_commerce.Coupon", models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # What the coupon takes off in all (quantity x per unit) at the claim's price; a group-buy's
    # order recomputes it at the close's tier price.
    discount = models.DecimalField(max_digits=15, decimal_places=3, default=0)
    # A team buy's claim: the team it opened or joined (models/game.py).
    team = models.ForeignKey(
        "community_commerce.Team", models.CASCADE, null=True, blank=True, related_name="claims", db_index=False
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cc_claim_quantity_positive"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="cc_claim_discount_not_negative"),
            models.UniqueConstraint(
                fields=["offer", "buyer", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="cc_claim_idempotency",
            ),
            models.UniqueConstraint(
                fields=["team", "buyer"],
                condition=Q(team__isnull=False, status__in=["active", "ordered"]),
                name="cc_claim_one_seat_per_team",
            ),
        ]
        indexes = [
            models.Index(fields=["offer", "status"], name="cc_claim_offer_status"),
            models.Index(fields=["buyer", "-id"], name="cc_claim_buyer_recent"),
            models.Index(fields=["id"], condition=Q(notified_at__isnull=True), name="cc_claim_to_notify"),
            models.Index(fields=["link"], condition=Q(link__isnull=False), name="cc_claim_link"),
            models.Index(fields=["coupon"], condition=Q(coupon__isnull=False), name="cc_claim_coupon"),
            models.Index(fields=["team"], condition=Q(team__isnull=False), name="cc_claim_team"),
        ]

    def __str__(self):
        return f"{self.quantity} x offer {self.offer_id} by {self.buyer_id}"


class ClaimTally(models.Model):
    """Units a member holds on one offer, so the per-member limit is one
    conditional UPDATE (``taken + q <= limit``), safe when the same member
    claims from two sessions at once."""

    offer = models.ForeignKey(
        "community_commerce.Offer", models.CASCADE, related_name="+", db_index=False
    )  # cc_tally_once
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    taken = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["offer", "buyer"], name="cc_tally_once"),
            models.CheckConstraint(condition=Q(taken__gte=0), name="cc_tally_not_negative"),
        ]


class OfferReminder(models.Model):
    """'Remind me': a notification when a scheduled offer opens."""

    offer = models.ForeignKey("community_commerce.Offer", models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offer", "user"], name="cc_reminder_once")]
