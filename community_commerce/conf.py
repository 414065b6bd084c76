"""Every setting of the plugin, with its default, read in one place."""

from django.conf import settings


def _get(name, default):
    return getattr(settings, f"COMMUNITY_COMMERCE_{name}", default)


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

    @property
    def GATE_REDIS_URL(self):
        return _get("GATE_REDIS_URL", settings.CACHES["default"]["LOCATION"])


conf = _Conf()
