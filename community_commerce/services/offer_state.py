"""An offer's live state as buyers see it (API.md "Offer live state"),
computed from the stored row and the clock. Lists count buyers in one query."""

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from community_commerce.models import Claim, Offer
from community_commerce.money import fmt


def buyer_counts(offer_ids) -> dict[int, int]:
    rows = (
        Claim.objects.filter(offer_id__in=list(offer_ids), status__in=Claim.HOLDING)
        .values("offer_id")
        .annotate(n=Count("buyer_id", distinct=True))
    )
    return {row["offer_id"]: row["n"] for row in rows}


def with_buyer_counts(queryset, *, reader=None):
    """Offers annotated with their buyers (``buyer_count``) and, for a member, how many
    claims they made on each (``reader_claims``): the thread page's offers, counts
    included, in the one query it makes anyway."""
    holders = (
        Claim.objects.filter(offer=OuterRef("pk"), status__in=Claim.HOLDING)
        .order_by()
        .values("offer")
        .annotate(n=Count("buyer_id", distinct=True))
        .values("n")
    )
    queryset = queryset.annotate(buyer_count=Coalesce(Subquery(holders), 0))
    if reader is not None and reader.is_authenticated:
        theirs = (
            Claim.objects.filter(offer=OuterRef("pk"), buyer=reader)
            .order_by()
            .values("offer")
            .annotate(n=Count("id"))
            .values("n")
        )
        queryset = queryset.annotate(reader_claims=Coalesce(Subquery(theirs), 0))
    return queryset


def display_status(offer, now) -> str:
    """The stored status, corrected by the clock before the sweeper catches up."""
    if offer.closed_at is not None or offer.status == Offer.Status.CANCELLED:
        return offer.status
    if now < offer.starts_at:
        return Offer.Status.SCHEDULED
    if offer.status == Offer.Status.SCHEDULED:
        return Offer.Status.LIVE
    return offer.status


def live_state(offer, *, now=None, buyers=0) -> dict:
    now = now or timezone.now()
    kind = offer.kind_class
    price = offer.result_unit_price if offer.result_unit_price is not None else kind.unit_price(offer, now)
    state = {
        "id": offer.pk,
        "kind": offer.kind,
        "thread": offer.thread_id,
        "merchant": offer.merchant.display_name,
        "title": offer.title,
        "description": offer.description,
        "status": display_status(offer, now),
        "is_open": offer.is_open_at(now) and offer.status != Offer.Status.SOLD_OUT,
        "currency": offer.currency,
        "current_unit_price": fmt(price, offer.currency),
        "stock": offer.stock,
        "stock_left": offer.stock_left,
        "quantity_claimed": offer.sold,
        "buyers": buyers,
        "per_user_limit": offer.per_user_limit,
        "starts_at": offer.starts_at,
        "ends_at": offer.ends_at,
        "closed_at": offer.closed_at,
        "cancel_reason": offer.cancel_reason,
        "terms": offer.terms,
        "server_time": now,
        "url": offer.get_absolute_url(),
    }
    state.update(kind.live_state(offer, now))
    return state


def live_states(offers, *, now=None) -> list[dict]:
    now = now or timezone.now()
    offers = list(offers)
    if all(hasattr(o, "buyer_count") for o in offers):  # counted by with_buyer_counts already
        counts = {o.pk: o.buyer_count for o in offers}
    else:
        counts = buyer_counts(o.pk for o in offers)
    return [live_state(o, now=now, buyers=counts.get(o.pk, 0)) for o in offers]
