"""The two games of the seeds: a team buy (N members within hours) and a
lowest-unique-price guess (paid in points, never money)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Team(models.Model):
    """A team of a team buy: opened by one member (their claim), joined by others through
    its share link or the card. ``members`` is the seats taken, raised by one conditional
    UPDATE (``members < size``) under the team's row lock, so a team never exceeds its size."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("team status", "Open")
        COMPLETE = "complete", pgettext_lazy("team status", "Complete")
        FAILED = "failed", pgettext_lazy("team status", "Failed")

    # Indexes: the offer's is cc_team_offer_status; the sweeper's cc_team_due holds open teams
    # only, so a team that completes or fails leaves it (no entry written for its new row).
    offer = models.ForeignKey("community_commerce.Offer", models.CASCADE, related_name="teams", db_index=False)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="led_teams")
    size = models.PositiveSmallIntegerField()
    members = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["expires_at", "id"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.CheckConstraint(condition=Q(members__lte=F("size")), name="cc_team_not_over_size"),
            models.CheckConstraint(condition=Q(size__gte=2), name="cc_team_size_at_least_two"),
        ]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="open"), name="cc_team_due"),
            models.Index(fields=["offer", "status"], name="cc_team_offer_status"),
        ]

    def __str__(self):
        return f"team {self.pk} of offer {self.offer_id} ({self.members}/{self.size})"

    @property
    def needed(self) -> int:
        return max(self.size - self.members, 0)


class Guess(models.Model):
    """One guess of a lowest-unique-price game. Nobody sees guesses before the close (no
    page, no API, no admin list); after it, the table of amounts and counts is public."""

    offer = models.ForeignKey("community_commerce.Offer", models.CASCADE, related_name="guesses")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="guesses")
    amount = models.DecimalField(max_digits=13, decimal_places=3)
    created_at = models.DateTimeField(default=timezone.now)
    # The spend that paid for it (none for a free game).
    spend = models.OneToOneField(
        "community_commerce.PointsEntry", models.PROTECT, null=True, blank=True, related_name="guess"
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["offer", "amount"], name="cc_guess_offer_amount"),
            models.Index(fields=["offer", "member"], name="cc_guess_offer_member"),
        ]

    def __str__(self):
        return f"guess {self.pk} on offer {self.offer_id}"
