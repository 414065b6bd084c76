"""An offer's live state as buyers see it (API.md "Offer live state"),
computed from the stored row and the clock. Lists count buyers in one query."""

import json
from decimal import Decimal

from django.db.models import Aggregate, Count, F, Field, OuterRef, Subquery
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone

from community_commerce.models import Claim, Offer, Order
from community_commerce.money import fmt


class JSONList(Aggregate):
    """The rows of a group as one JSON array (PostgreSQL JSON_AGG, SQLite JSON_GROUP_ARRAY)."""

    function = "JSON_AGG"
    output_field = Field()  # as the driver hands it over: a list (psycopg) or JSON text (SQLite)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


# What an offer card shows of the reader's claims and their orders.
_CLAIM_FIELDS = {
    "id": F("id"),
    "quantity": F("quantity"),
    "unit_price": F("unit_price"),
    "status": F("status"),
    "coupon_id": F("coupon_id"),
    "discount": F("discount"),
    "order_id": F("order__id"),
    "order_number": F("order__number"),
    "order_status": F("order__status"),
}


def buyer_counts(offer_ids) -> dict[int, int]:
    rows = (
        Claim.objects.filter(offer_id__in=list(offer_ids), status__in=Claim.HOLDING)
        .values("offer_id")
        .annotate(n=Count("buyer_id", distinct=True))
    )
    return {row["offer_id"]: row["n"] for row in rows}


def with_buyer_counts(queryset, *, reader=None):
    """Offers annotated with their buyers (``buyer_count``) and, for a member, their own
    claims on each with the claims' orders (``reader_claims_json``, read back by
    :func:`reader_claims`): the thread page's offers, counts and the reader's part
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
            .annotate(rows=JSONList(JSONObject(**_CLAIM_FIELDS)))
            .values("rows")
        )
        queryset = queryset.annotate(reader_claims_json=Subquery(theirs, output_field=Field()))
    return queryset


def reader_claims(offer) -> list[Claim] | None:
    """The reader's claims on an offer annotated by with_buyer_counts (their orders
    attached), oldest first; None when the offer was not annotated for a member."""
    if not hasattr(offer, "reader_claims_json"):
        return None
    rows = offer.reader_claims_json or []
    if isinstance(rows, str):  # SQLite hands the array back as text
        rows = json.loads(rows)
    claims = []
    for row in sorted(rows, key=lambda r: r["id"]):
        claim = Claim(
            pk=row["id"],
            offer_id=offer.pk,
            quantity=row["quantity"],
            unit_price=Decimal(str(row["unit_price"])),
            status=row["status"],
            coupon_id=row.get("coupon_id"),
            discount=Decimal(str(row.get("discount") or 0)),
        )
        claim.offer = offer
        order = None
        if row["order_id"] is not None:
            order = Order(
                pk=row["order_id"], claim_id=claim.pk, offer_id=offer.pk, number=row["order_number"],
                status=row["order_status"],
            )  # fmt: skip
        Claim.order.related.set_cached_value(claim, order)
        claims.append(claim)
    return claims


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
        "merchant_id": offer.merchant_id,
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
    Offer.load_urls([o for o in offers if getattr(o, "_thread_url", None) is None])  # one adapter call a page
    if all(hasattr(o, "buyer_count") for o in offers):  # counted by with_buyer_counts already
        counts = {o.pk: o.buyer_count for o in offers}
    else:
        counts = buyer_counts(o.pk for o in offers)
    return [live_state(o, now=now, buyers=counts.get(o.pk, 0)) for o in offers]
