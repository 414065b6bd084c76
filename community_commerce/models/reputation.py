from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community_commerce.models.merchant import Merchant


class MerchantReputation(models.Model):
    """A shop's reputation, computed in SQL from its orders, disputes and published ratings
    (services/reputation.py) and kept here, so every page that shows it reads it with the
    merchant (one join, no query of its own). ``stale`` asks the sweeper to recompute it
    soon; rows older than REPUTATION_MAX_AGE are recomputed anyway (deadlines pass)."""

    merchant = models.OneToOneField(
        "community_commerce.Merchant", models.CASCADE, primary_key=True, related_name="reputation"
    )
    rating_count = models.PositiveIntegerField(default=0)
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    completed_orders = models.PositiveIntegerField(default=0)
    paid_orders = models.PositiveIntegerField(default=0)  # ever paid: the dispute rate's base
    refunded_disputes = models.PositiveIntegerField(default=0)  # disputes that ended in a refund
    open_disputes = models.PositiveIntegerField(default=0)
    due_shipments = models.PositiveIntegerField(default=0)  # shipped, or unshipped past the promise
    on_time_shipments = models.PositiveIntegerField(default=0)
    dispute_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    on_time_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    flagged = models.BooleanField(default=False, help_text=_("Dispute rate over the threshold: for staff to review."))
    computed_at = models.DateTimeField(default=timezone.now)
    stale = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["computed_at"], name="cc_reputation_age"),
            models.Index(fields=["merchant"], condition=Q(stale=True), name="cc_reputation_stale"),
        ]
        verbose_name = _("reputation")
        verbose_name_plural = _("reputations")

    def __str__(self):
        return str(self.merchant_id)


class FlaggedMerchant(Merchant):
    """Shops whose dispute rate passed DISPUTE_FLAG_RATE: their own entry on the admin's
    front page, for staff to review (nobody is suspended automatically)."""

    class Meta:
        proxy = True
        verbose_name = _("merchant flagged for disputes")
        verbose_name_plural = _("merchants flagged for disputes")
