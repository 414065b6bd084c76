"""Every setting of the plugin, with its default, read in one place.

A site sets them in its Django settings (config/settings.py reads each from the
environment when it is there), so an operator tunes them without editing code."""

from decimal import Decimal, InvalidOperation

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
        """Days after an order is completed before its commissions are approved (and payable); the
        buyer may open a dispute until then (services/disputes.py), so nothing approved is disputed."""
        return int(_get("REFUND_DAYS", 7))

    @property
    def CPA_MAX_PER_LINK_HOUR(self):
        """The velocity cap: a link's sign-ups beyond this many within an hour earn no CPA (fraud)."""
        return int(_get("CPA_MAX_PER_LINK_HOUR", 10))

    @property
    def SETTLE_BATCH(self):
        """Commission entries the sweeper approves in one statement."""
        return int(_get("SETTLE_BATCH", 5000))

    # --- points and games (services/points.py teams.py guesses.py) -------------------------

    @property
    def POINTS_PER_UNIT(self) -> Decimal:
        """Points a completed purchase earns per whole unit of its currency (its total net of
        discounts); POINTS_PER_UNIT_BY_CURRENCY overrides it per currency (e.g. JPY 0.01)."""
        return _decimal("POINTS_PER_UNIT", "1")

    @property
    def POINTS_PER_UNIT_BY_CURRENCY(self) -> dict[str, Decimal]:
        return {
            str(k).upper(): Decimal(str(v))
            for k, v in _get("POINTS_PER_UNIT_BY_CURRENCY", {"JPY": "0.01", "KRW": "0.001"}).items()
        }

    @property
    def POINTS_REFERRAL(self) -> int:
        """Points a member earns when someone they referred completes a first order."""
        return int(_get("POINTS_REFERRAL", 100))

    @property
    def POINTS_DAILY_CAP(self) -> int:
        """The most points a member can earn in one day (UTC); beyond it nothing is earned."""
        return int(_get("POINTS_DAILY_CAP", 5000))

    @property
    def GUESS_MAX_PRIZE(self) -> Decimal:
        """The highest prize value (and highest guess) a lowest-unique-price game may have, in
        the offer's currency: the game stays a promotion, never a lottery."""
        return _decimal("GUESS_MAX_PRIZE", "50000")

    @property
    def TEAM_CLOSE_BATCH(self) -> int:
        """Expired teams the sweeper fails in one transaction: 1,000 teams hold their rows,
        their members' tallies and the offer's row for some 60 ms on two cores (the teams
        bench), and each batch costs a commit and a Celery message."""
        return int(_get("TEAM_CLOSE_BATCH", 1000))

    @property
    def GATE_REDIS_URL(self):
        return _get("GATE_REDIS_URL", settings.CACHES["default"]["LOCATION"])

    # --- buyer protection and reputation (services/receipt.py disputes.py ratings.py reputation.py)

    @property
    def AUTO_RECEIVE_DAYS(self):
        """Days after shipping at which the sweeper completes an order the buyer neither
        confirmed nor disputed (never a disputed one)."""
        return int(_get("AUTO_RECEIVE_DAYS", 10))

    @property
    def AUTO_RECEIVE_REMIND_DAYS(self):
        """The buyer is reminded this many days before the order completes by itself."""
        return int(_get("AUTO_RECEIVE_REMIND_DAYS", 3))

    @property
    def RATING_BLIND_DAYS(self):
        """A rating stays unpublished (double-blind) until the merchant replied, or this many days."""
        return int(_get("RATING_BLIND_DAYS", 7))

    @property
    def NEW_MERCHANT_ORDERS(self):
        """Completed orders a shop needs before its offers may be worth more than NEW_MERCHANT_MAX_VALUE."""
        return int(_get("NEW_MERCHANT_ORDERS", 5))

    @property
    def NEW_MERCHANT_MAX_VALUE(self) -> dict[str, Decimal]:
        """What one offer of a new shop may be worth (stock x highest unit price), per currency:
        ``{"EUR": Decimal("2000"), "JPY": Decimal("300000"), "*": ...}`` ("*": any other
        currency). The setting is a number (every currency), a dict, or a string such as
        ``"2000"`` or ``"EUR=2000,JPY=300000,*=2000"`` (from the environment)."""
        return parse_amounts(_get("NEW_MERCHANT_MAX_VALUE", 2000))

    @property
    def DISPUTE_FLAG_RATE(self) -> Decimal:
        """A shop whose dispute rate (disputes ending in a refund / paid orders) reaches this is
        flagged for staff on the admin; nobody is suspended automatically."""
        return Decimal(str(_get("DISPUTE_FLAG_RATE", "0.10")))

    @property
    def DISPUTE_FLAG_MIN_ORDERS(self):
        """Paid orders a shop needs before its dispute rate can flag it (one bad order of one is noise)."""
        return int(_get("DISPUTE_FLAG_MIN_ORDERS", 3))

    @property
    def REPUTATION_MAX_AGE(self):
        """Seconds after which the sweeper recomputes a shop's reputation even if nothing marked it
        stale (deadlines pass, ratings publish by the clock)."""
        return int(_get("REPUTATION_MAX_AGE", 600))

    @property
    def DEFAULT_SHIP_DAYS(self):
        """The "ships within N days" a new shop promises until it sets its own."""
        return int(_get("DEFAULT_SHIP_DAYS", 3))


def parse_amounts(value) -> dict[str, Decimal]:
    """A per-currency amount setting as ``{currency or "*": Decimal}``; see NEW_MERCHANT_MAX_VALUE."""
    if isinstance(value, dict):
        pairs = value.items()
    elif isinstance(value, str) and "=" in value:
        pairs = [part.split("=", 1) for part in value.split(",") if part.strip()]
    else:
        pairs = [("*", value)]
    amounts = {}
    for code, amount in pairs:
        try:
            amounts[str(code).strip().upper()] = Decimal(str(amount).strip())
        except InvalidOperation:
            raise ValueError(f"COMMUNITY_COMMERCE_NEW_MERCHANT_MAX_VALUE: {amount!r} is not an amount") from None
    return amounts


conf = _Conf()
