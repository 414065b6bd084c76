"""Share links and what they bring: visits, visitors, signups and the link each
member was last brought by (attribution).

A visit is counted in Redis on the hot path and rolled up here by the sweeper
(services/links.py): a day's visits per link, and one row per visitor, link and
day, so visitors can be counted exactly over any range of days.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community_commerce.models.coupon import CHANNEL_MAX

FORUM_CHANNEL = "forum"


class ShareLink(models.Model):
    """``/r/<code>``: a member's referral link or a merchant's campaign link, to an
    offer or a thread. The code is random and carries nothing about its owner."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", _("Personal")
        CAMPAIGN = "campaign", _("Campaign")

    code = models.CharField(max_length=24, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="share_links")
    kind = models.CharField(max_length=8, choices=Kind, default=Kind.REFERRAL)
    merchant = models.ForeignKey(
        "community_commerce.Merchant", models.CASCADE, null=True, blank=True, related_name="campaign_links"
    )
    offer = models.ForeignKey("community_commerce.Offer", models.CASCADE, null=True, blank=True, related_name="links")
    # A team buy's team: the link its leader shares (it leads to the team's page).
    team = models.ForeignKey("community_commerce.Team", models.CASCADE, null=True, blank=True, related_name="links")
    # The thread of the target (an offer's own thread), as the forum adapter knows it: a plain
    # id, like Offer.thread_id, so the plugin serves any forum.
    thread_id = models.BigIntegerField(db_index=True)
    channel = models.CharField(_("channel"), max_length=CHANNEL_MAX, default=FORUM_CHANNEL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "offer", "channel"],
                condition=Q(offer__isnull=False, team__isnull=True),
                name="cc_link_offer_once",
            ),
            models.UniqueConstraint(
                fields=["owner", "team", "channel"], condition=Q(team__isnull=False), name="cc_link_team_once"
            ),
            models.UniqueConstraint(
                fields=["owner", "thread_id", "channel"], condition=Q(offer__isnull=True), name="cc_link_thread_once"
            ),
        ]
        verbose_name = _("share link")
        verbose_name_plural = _("share links")

    def __str__(self):
        return f"/r/{self.code}"


class LinkVisitDay(models.Model):
    """Counted visits of a link on a day (bots and the link's own people left out)."""

    link = models.ForeignKey(ShareLink, models.CASCADE, related_name="visit_days")
    day = models.DateField()
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "day"], name="cc_link_visit_day_once")]


class LinkVisitor(models.Model):
    """One visitor of a link on a day: ``m:<member id>`` or an HMAC of the visitor's cookie."""

    link = models.ForeignKey(ShareLink, models.CASCADE, related_name="visitors")
    day = models.DateField()
    visitor = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "day", "visitor"], name="cc_link_visitor_once")]


class Referral(models.Model):
    """Who brought whom: a member who signed up after visiting a link (``via=visit``),
    or, for apps, whose first claim carried a link's ``ref`` within the window after
    signing up (``via=claim``). One per member; never the link's own owner."""

    class Via(models.TextChoices):
        VISIT = "visit", _("Visited the link, then signed up")
        CLAIM = "claim", _("First claim through the link")

    member = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="referral")
    link = models.ForeignKey(ShareLink, models.CASCADE, related_name="referrals")
    referrer = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="referred")
    channel = models.CharField(max_length=CHANNEL_MAX)
    via = models.CharField(max_length=5, choices=Via, default=Via.VISIT)
    visited_at = models.DateTimeField()
    signed_up_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(member=models.F("referrer")), name="cc_referral_not_self"),
        ]
        indexes = [models.Index(fields=["link", "signed_up_at"], name="cc_referral_link")]


class Attribution(models.Model):
    """The last link a member came through (carried over from their browser on signup
    and login, or from an app's ``ref``): the claim path reads it. Last link wins."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="attribution")
    link = models.ForeignKey(ShareLink, models.CASCADE, related_name="+")
    at = models.DateTimeField()
