from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Completed")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")
        DISPUTED = "disputed", _("Disputed")  # the buyer opened a dispute (models/dispute.py)
        REFUNDED = "refunded", _("Refunded")  # paid, then given back: by the merchant or a dispute

    # Indexes: each order writes every one, so none is kept twice (the merchant's and the link's
    # lead cc_order_merchant and cc_order_link; the buyer's is cc_order_buyer_recent, (buyer, id),
    # for a member's newest orders; the number's unique constraint has no LIKE twin).
    number = models.CharField(max_length=20)
    offer = models.ForeignKey("community_commerce.Offer", models.PROTECT, related_name="orders")
    claim = models.OneToOneField("community_commerce.Claim", models.PROTECT, related_name="order")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="offer_orders", db_index=False)
    merchant = models.ForeignKey("community_commerce.Merchant", models.PROTECT, related_name="orders", db_index=False)
    quantity = models.PositiveIntegerField()
    # Three places: the most any allowed currency takes (money.MAX_DECIMALS); each amount
    # is in its currency's own decimals (money.round_amount), so JPY rows end in .000.
    unit_price = models.DecimalField(max_digits=13, decimal_places=3)
    discount = models.DecimalField(max_digits=15, decimal_places=3, default=0)  # the coupon's, in all
    total = models.DecimalField(max_digits=15, decimal_places=3)  # unit_price x quantity - discount
    # What its standing commission entries (pending, approved, paid, and reversals) add up to:
    # the ledger stays the record; services/commissions sets this from it in each ledger write's
    # transaction, so the channel report sums one table instead of two.
    commissions_owed = models.DecimalField(max_digits=15, decimal_places=3, default=0)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING_PAYMENT)
    payment_provider = models.CharField(max_length=30, default="offline")
    payment_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Its claim's channel, link and coupon (ARCHITECTURE.md rule 10): what reports count by.
    channel = models.CharField(max_length=40, default="forum")
    link = models.ForeignKey(
        "community_commerce.ShareLink", models.SET_NULL, null=True, blank=True, related_name="orders", db_index=False
    )
    coupon = models.ForeignKey(
        "community_commerce.Coupon", models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="cc_order_number_unique"),
            # Round: SQLite multiplies decimals as floats (9.90 * 3 = 29.700000000000003); to the
            # columns' three places, so a 1.250 BHD price still checks.
            models.CheckConstraint(
                condition=Q(total=Round(F("unit_price") * F("quantity"), 3) - F("discount")), name="cc_order_total_net"
            ),
            models.CheckConstraint(condition=Q(discount__gte=0, total__gte=0), name="cc_order_discount_in_range"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cc_order_quantity_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "payment_due_at"], name="cc_order_due"),
            models.Index(fields=["merchant", "status"], name="cc_order_merchant"),
            models.Index(fields=["link", "status"], condition=Q(link__isnull=False), name="cc_order_link"),
            models.Index(fields=["buyer", "-id"], name="cc_order_buyer_recent"),
            models.Index(fields=["merchant", "created_at"], name="cc_order_merchant_day"),  # the reports
            models.Index(fields=["coupon"], condition=Q(coupon__isnull=False), name="cc_order_coupon"),
        ]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self):
        return self.number


class OrderEvent(models.Model):
    """The audit trail of an order: every status change, who made it and why."""

    order = models.ForeignKey(Order, models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
