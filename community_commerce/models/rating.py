from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Rating(models.Model):
    """The buyer's rating of one completed order: once per order (the one-to-one).

    Double-blind, as Sharetribe's reviews: the merchant writes their reply without
    seeing the rating, and nobody else sees either until ``published_at`` is set, when
    the merchant has replied or RATING_BLIND_DAYS have passed (the sweeper). A
    moderator may hide an abusive comment with a reason; the stars still count."""

    order = models.OneToOneField("community_commerce.Order", models.PROTECT, related_name="rating")
    merchant = models.ForeignKey("community_commerce.Merchant", models.CASCADE, related_name="ratings")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    stars = models.PositiveSmallIntegerField(_("stars"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    reply = models.CharField(_("reply"), max_length=500, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    hidden_reason = models.CharField(_("why it is hidden"), max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="cc_rating_stars_1_to_5"),
        ]
        indexes = [
            models.Index(fields=["merchant", "published_at"], name="cc_rating_merchant"),
            models.Index(fields=["created_at"], condition=Q(published_at__isnull=True), name="cc_rating_blind"),
        ]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self):
        return f"{self.stars}★ ({self.order_id})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None
