"""A shop's reputation, where members decide: average stars and their count, completed
orders, the on-time rate and the dispute rate.

Computed in SQL (two aggregate queries over the shop's orders, their events and disputes,
and its published ratings) and kept in ``MerchantReputation``, so the offer card, the
profile and the API read it with the merchant in the query they make anyway. A change to
an order marks the row stale after commit (:func:`touch`); the sweeper recomputes stale
rows, rows older than REPUTATION_MAX_AGE (a promised day passes, a rating publishes by the
clock) and shops without a row (:func:`refresh_due`). Disputes and ratings refresh their
shop at once after commit. The database decides what is shown; this is its summary.

* on time: a paid order shipped within the shop's ``ships_within_days`` of its first
  payment. Counted once it has shipped, or while it waits (paid or disputed) past that.
* dispute rate: disputes that ended in a refund, over the orders ever paid. An open
  dispute is not yet held against the shop, a rejected one never is.
"""

import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, Count, DateTimeField, ExpressionWrapper, F, OuterRef, Q, Subquery, Value
from django.utils import timezone

from community_commerce.conf import conf
from community_commerce.models import Dispute, Merchant, MerchantReputation, Order, OrderEvent, Rating

log = logging.getLogger(__name__)
S = Order.Status
RATE = Decimal("0.0001")
STARS = Decimal("0.01")


def touch(merchant_id) -> None:
    """Something about the shop's orders changed: its reputation is recomputed soon (after commit)."""
    transaction.on_commit(lambda: mark_stale(merchant_id), robust=True)


def mark_stale(merchant_id) -> None:
    MerchantReputation.objects.filter(pk=merchant_id, stale=False).update(stale=True)


def refresh_on_commit(merchant_id) -> None:
    """Recompute the shop's reputation once the caller's transaction commits (rare events:
    a dispute, a rating published)."""
    transaction.on_commit(lambda: refresh(merchant_id), robust=True)


def compute(*, merchant_id, ships_within_days, now) -> dict:
    """The figures, from the database: two queries."""
    events = OrderEvent.objects.filter(order=OuterRef("pk")).order_by("at", "id").values("at")
    orders = (
        Order.objects.filter(merchant_id=merchant_id)
        .annotate(
            paid_at=Subquery(events.filter(to_status=S.PAID)[:1]),
            shipped_at=Subquery(events.filter(to_status=S.SHIPPED)[:1]),
        )
        .annotate(
            ship_by=ExpressionWrapper(
                F("paid_at") + Value(timedelta(days=ships_within_days)), output_field=DateTimeField()
            )
        )
    )
    waiting_too_long = Q(shipped_at__isnull=True, ship_by__lt=now, status__in=(S.PAID, S.DISPUTED))
    figures = orders.aggregate(
        completed=Count("pk", filter=Q(status=S.COMPLETED)),
        paid=Count("pk", filter=Q(paid_at__isnull=False)),
        refunded_disputes=Count("pk", filter=Q(dispute__status=Dispute.Status.REFUNDED)),
        open_disputes=Count("pk", filter=Q(dispute__status=Dispute.Status.OPEN)),
        due=Count("pk", filter=Q(paid_at__isnull=False) & (Q(shipped_at__isnull=False) | waiting_too_long)),
        on_time=Count("pk", filter=Q(paid_at__isnull=False, shipped_at__isnull=False, shipped_at__lte=F("ship_by"))),
    )
    stars = (
        Rating.objects.filter(merchant_id=merchant_id, published_at__isnull=False)
        .exclude(order__status=S.REFUNDED)
        .aggregate(n=Count("pk"), average=Avg("stars"))
    )
    dispute_rate = _rate(figures["refunded_disputes"], figures["paid"])
    return {
        "rating_count": stars["n"],
        "rating_average": None if not stars["n"] else Decimal(str(stars["average"])).quantize(STARS, ROUND_HALF_UP),
        "completed_orders": figures["completed"],
        "paid_orders": figures["paid"],
        "refunded_disputes": figures["refunded_disputes"],
        "open_disputes": figures["open_disputes"],
        "due_shipments": figures["due"],
        "on_time_shipments": figures["on_time"],
        "dispute_rate": dispute_rate,
        "on_time_rate": _rate(figures["on_time"], figures["due"]),
        "flagged": dispute_rate is not None
        and figures["paid"] >= conf.DISPUTE_FLAG_MIN_ORDERS
        and dispute_rate >= conf.DISPUTE_FLAG_RATE,
    }


def _rate(part, whole) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(RATE, ROUND_HALF_UP) if whole else None


def refresh(merchant_id, *, now=None) -> MerchantReputation | None:
    """Recompute one shop's row. The stale mark is cleared before the figures are read, so a
    change made meanwhile marks it again and the next sweep picks it up."""
    now = now or timezone.now()
    days = Merchant.objects.filter(pk=merchant_id).values_list("ships_within_days", flat=True).first()
    if days is None:
        return None
    MerchantReputation.objects.filter(pk=merchant_id, stale=True).update(stale=False)
    values = compute(merchant_id=merchant_id, ships_within_days=days, now=now)
    row, _created = MerchantReputation.objects.update_or_create(
        merchant_id=merchant_id, defaults={**values, "computed_at": now}
    )
    return row


def refresh_due(*, now=None, limit=50) -> int:
    """The sweeper's part: stale rows, rows older than REPUTATION_MAX_AGE, and shops (not
    pending review) without a row yet, up to ``limit``. Each on its own: one failure never
    blocks the rest."""
    now = now or timezone.now()
    old = now - timedelta(seconds=conf.REPUTATION_MAX_AGE)
    due = list(
        MerchantReputation.objects.filter(Q(stale=True) | Q(computed_at__lt=old))
        .order_by("computed_at")
        .values_list("merchant_id", flat=True)[:limit]
    )
    if len(due) < limit:
        missing = Merchant.objects.filter(reputation__isnull=True).exclude(status=Merchant.Status.PENDING)
        due += list(missing.order_by("pk").values_list("pk", flat=True)[: limit - len(due)])
    done = 0
    for merchant_id in due:
        try:
            done += refresh(merchant_id, now=now) is not None
        except Exception:
            log.exception("reputation of merchant %s failed; the next sweep tries again", merchant_id)
    return done


def of(merchant) -> MerchantReputation:
    """The shop's reputation as it stands now: its row, recomputed first when stale, old or
    missing (the API's merchant page: one shop, so exactness beats a query saved)."""
    row = MerchantReputation.objects.filter(pk=merchant.pk).first()
    old = timezone.now() - timedelta(seconds=conf.REPUTATION_MAX_AGE)
    if row is None or row.stale or row.computed_at < old:
        row = refresh(merchant.pk)
    return row


def summary(merchant) -> MerchantReputation | None:
    """The row loaded with the merchant (``select_related("merchant__reputation")`` or
    ``("reputation")``), or None: never a query of its own, so a page of cards stays at
    the queries it makes anyway."""
    if not Merchant.reputation.is_cached(merchant):
        return None
    return getattr(merchant, "reputation", None)
