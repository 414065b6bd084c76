"""An offer's live state as buyers see it (API.md "Offer live state"),
computed from the stored row and the clock. Lists count buyers in one query."""

import json
from datetime import UTC
from decimal import Decimal

from django.db.models import Aggregate, Count, F, Field, OuterRef, Subquery
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from community_commerce.models import Claim, Guess, Offer, Order, Team
from community_commerce.money import fmt

GAMES = ("team_buy", "lowest_unique")


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
    "team_id": F("team_id"),
}
# What a team buy's card shows of its open teams (the same for every reader).
_TEAM_FIELDS = {
    "id": F("id"),
    "members": F("members"),
    "size": F("size"),
    "expires_at": F("expires_at"),
    "leader_id": F("leader_id"),
    "leader": F("leader__username"),
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
    queryset = with_game_figures(queryset)
    if reader is not None and reader.is_authenticated:
        theirs = (
            Claim.objects.filter(offer=OuterRef("pk"), buyer=reader)
            .order_by()
            .values("offer")
            .annotate(rows=JSONList(JSONObject(**_CLAIM_FIELDS)))
            .values("rows")
        )
        guessed = (
            Guess.objects.filter(offer=OuterRef("pk"), member=reader)
            .order_by()
            .values("offer")
            .annotate(rows=JSONList(JSONObject(id=F("id"), amount=F("amount"))))
            .values("rows")
        )
        queryset = queryset.annotate(
            reader_claims_json=Subquery(theirs, output_field=Field()),
            reader_guesses_json=Subquery(guessed, output_field=Field()),
        )
    return queryset


def reader_guesses(offer) -> list[Decimal] | None:
    """The reader's own guesses on a game annotated by with_buyer_counts, in the order made."""
    if not hasattr(offer, "reader_guesses_json"):
        return None
    rows = sorted(_rows(offer.reader_guesses_json), key=lambda r: r["id"])
    return [Decimal(str(row["amount"])) for row in rows]


def with_game_figures(queryset, *, now=None):
    """The games' shared figures in the offers' own query: a team buy's open teams
    (``open_teams_json``), a guessing game's number of guesses (``guess_total``: the only
    figure of a game shown before its close). Other kinds find nothing there."""
    now = now or timezone.now()
    teams = (
        Team.objects.filter(offer=OuterRef("pk"), status=Team.Status.OPEN, expires_at__gt=now)
        .order_by()
        .values("offer")
        .annotate(rows=JSONList(JSONObject(**_TEAM_FIELDS)))
        .values("rows")
    )
    guesses = Guess.objects.filter(offer=OuterRef("pk")).order_by().values("offer").annotate(n=Count("id")).values("n")
    return queryset.annotate(
        open_teams_json=Subquery(teams, output_field=Field()), guess_total=Coalesce(Subquery(guesses), 0)
    )


def _rows(value) -> list[dict]:
    if isinstance(value, str):  # SQLite hands the array back as text
        value = json.loads(value)
    return value or []


def open_teams(offer) -> list[dict]:
    """The open teams of a team buy annotated by with_game_figures, soonest to expire first."""
    teams = []
    for row in _rows(getattr(offer, "open_teams_json", None)):
        expires_at = row["expires_at"]
        if isinstance(expires_at, str):
            expires_at = parse_datetime(expires_at)
            if timezone.is_naive(expires_at):
                expires_at = expires_at.replace(tzinfo=UTC)  # SQLite stores UTC without an offset
        teams.append({**row, "expires_at": expires_at, "needed": max(row["size"] - row["members"], 0)})
    return sorted(teams, key=lambda t: (t["expires_at"], t["id"]))


def reader_claims(offer) -> list[Claim] | None:
    """The reader's claims on an offer annotated by with_buyer_counts (their orders
    attached), oldest first; None when the offer was not annotated for a member."""
    if not hasattr(offer, "reader_claims_json"):
        return None
    rows = _rows(offer.reader_claims_json)
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
            team_id=row.get("team_id"),
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
    if offer.kind == Offer.Kind.TEAM_BUY:
        teams = [t for t in open_teams(offer) if t["expires_at"] > now]
        state["teams"] = teams
        state["teams_open"] = len(teams)
    elif offer.kind == Offer.Kind.LOWEST_UNIQUE:
        state["guesses"] = getattr(offer, "guess_total", 0)
    return state


def live_states(offers, *, now=None) -> list[dict]:
    now = now or timezone.now()
    offers = list(offers)
    Offer.load_urls([o for o in offers if getattr(o, "_thread_url", None) is None])  # one adapter call a page
    games = [o for o in offers if o.kind in GAMES and not hasattr(o, "guess_total")]
    if games:  # offers read without with_buyer_counts: their games' figures in one query
        figures = {o.pk: o for o in with_game_figures(Offer.objects.filter(pk__in=[g.pk for g in games]), now=now)}
        for offer in games:
            offer.open_teams_json = figures[offer.pk].open_teams_json
            offer.guess_total = figures[offer.pk].guess_total
    if all(hasattr(o, "buyer_count") for o in offers):  # counted by with_buyer_counts already
        counts = {o.pk: o.buyer_count for o in offers}
    else:
        counts = buyer_counts(o.pk for o in offers)
    return [live_state(o, now=now, buyers=counts.get(o.pk, 0)) for o in offers]
