"""Every setting of the plugin, with its default, read in one place."""

from decimal import Decimal

from django.conf import settings


def _get(name, default):
    return getattr(settings, f"COMMUNITY_COMMERCE_{name}", default)


def _decimal(name, default) -> Decimal:
    return Decimal(str(_get(name, default)))


class _Conf:
    @property
    def FORUM_ADAPTER(self):
        """The forum the plugin lives in: a ForumAdapter subclass (community_commerce.adapters.base)."""
        return _get("FORUM_ADAPTER", "community_commerce.adapters.bundled.BundledForumAdapter")

    @property
    def MACHINA_DEALS_FORUMS(self):
        """django-machina sites (adapters/machina.py): the forums, by id or slug, in whose
        topics (and those of every forum below them) merchants may post offers."""
        return list(_get("MACHINA_DEALS_FORUMS", []))

    @property
    def SITE_URL(self):
        """The public address put before links in the plugin's own emails (fallback notices)."""
        return _get("SITE_URL", getattr(settings, "SITE_URL", "")).rstrip("/")

    @property
    def SWEEP_SECONDS(self):
        """How often beat runs the sweeper; ETA tasks cover what falls between two runs."""
        return _get("SWEEP_SECONDS", 5)

    @property
    def DEFAULT_CURRENCY(self):
        return _get("DEFAULT_CURRENCY", "EUR")

    @property
    def PAYMENT_PROVIDER(self):
        return _get("PAYMENT_PROVIDER", "community_commerce.payments.offline.OfflineProvider")

    @property
    def EXPIRE_BATCH(self):
        return _get("EXPIRE_BATCH", 500)

    @property
    def ORDER_PREFIX(self):
        return _get("ORDER_PREFIX", "CC")

    @property
    def GATE_ENABLED(self):
        """The Redis gate in front of crowd sales (flash sales, Dutch auctions)."""
        return _get("GATE_ENABLED", True)

    @property
    def ATTRIBUTION_DAYS(self):
        """How long a visit to a share link is remembered for the claims that follow (last link wins)."""
        return _get("ATTRIBUTION_DAYS", 30)

    # --- the commission programme (the admin's Programme overrides the first three) ----------

    @property
    def FORUM_CPS_PERCENT(self):
        """What merchants owe the forum on each paid order, in percent of its total net of discounts."""
        return _decimal("FORUM_CPS_PERCENT", "5")

    @property
    def FORUM_CPS_PERCENT_BY_CATEGORY(self):
        """``{category id: percent}``: the forum's rate for offers of some categories."""
        return {int(k): Decimal(str(v)) for k, v in _get("FORUM_CPS_PERCENT_BY_CATEGORY", {}).items()}

    @property
    def REFERRAL_CPS_PERCENT(self):
        """What a member earns on a sale their link brought, in percent of its total net of discounts."""
        return _decimal("REFERRAL_CPS_PERCENT", "2")

    @property
    def CPA_AMOUNT(self):
        """What a member earns when someone who signed up through their link completes a first
        order, in the order's currency."""
        return _decimal("CPA_AMOUNT", "5")

    @property
    def REFUND_DAYS(self):
        """Days after an order is completed before its commissions are approved (and payable)."""
        return int(_get("REFUND_DAYS", 7))

    @property
    def CPA_MAX_PER_LINK_HOUR(self):
        """The velocity cap: a link's sign-ups beyond this many within an hour earn no CPA (fraud)."""
        return int(_get("CPA_MAX_PER_LINK_HOUR", 10))

    @property
    def SETTLE_BATCH(self):
        """Commission entries the sweeper approves in one statement."""
        return int(_get("SETTLE_BATCH", 5000))

    @property
    def GATE_REDIS_URL(self):
        return _get("GATE_REDIS_URL", settings.CACHES["default"]["LOCATION"])


conf = _Conf()
