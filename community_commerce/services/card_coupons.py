"""The coupons part of an offer card, loaded with the offers in the query the page makes
anyway (the Discourse-poll rule: a widget costs no query per item).

``with_coupons`` annotates offers with their coupons and, for a member, the handouts they
took, as JSON arrays; ``card_coupons`` reads them back. Offers not annotated (another
forum's page) cost one query for the coupons and one for the member's grants."""

import json
from datetime import UTC
from decimal import Decimal

from django.db.models import F, Field, OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from community_commerce.models import Claim, Coupon, CouponGrant
from community_commerce.services.offer_state import JSONList

_COUPON_FIELDS = {
    "id": F("id"),
    "code": F("code"),
    "discount_type": F("discount_type"),
    "value": F("value"),
    "max_uses": F("max_uses"),
    "uses": F("uses"),
    "handout": F("handout"),
    "handed_out": F("handed_out"),
    "min_quantity": F("min_quantity"),
    "starts_at": F("starts_at"),
    "ends_at": F("ends_at"),
    "channel": F("channel"),
}


def with_coupons(queryset, *, reader=None):
    rows = (
        Coupon.objects.filter(offer=OuterRef("pk"))
        .order_by()
        .values("offer")
        .annotate(rows=JSONList(JSONObject(**_COUPON_FIELDS)))
        .values("rows")
    )
    queryset = queryset.annotate(coupons_json=Subquery(rows, output_field=Field()))
    if reader is not None and reader.is_authenticated:
        taken = (
            CouponGrant.objects.filter(coupon__offer=OuterRef("pk"), member=reader)
            .order_by()
            .values("coupon__offer")
            .annotate(rows=JSONList(F("coupon_id")))
            .values("rows")
        )
        queryset = queryset.annotate(reader_grants_json=Subquery(taken, output_field=Field()))
    return queryset


def _rows(value):
    if isinstance(value, str):  # SQLite hands the array back as text
        value = json.loads(value)
    return value or []


def _moment(value):
    if value in (None, ""):
        return None
    moment = parse_datetime(str(value).replace(" ", "T"))
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


def _coupon(row, offer_id) -> Coupon:
    return Coupon(
        pk=row["id"], offer_id=offer_id, code=row["code"], discount_type=row["discount_type"],
        value=Decimal(str(row["value"])), max_uses=row["max_uses"], uses=row["uses"], handout=bool(row["handout"]),
        handed_out=row["handed_out"], min_quantity=row["min_quantity"], starts_at=_moment(row["starts_at"]),
        ends_at=_moment(row["ends_at"]), channel=row["channel"] or "",
    )  # fmt: skip


def load(offers, reader) -> None:
    """Complete offers not loaded through :func:`with_coupons` (another forum's page), or
    loaded without the reader (the card's poll shares its offer between readers): one query
    for their coupons, and one for the member's grants when there are handouts."""
    loose = [o for o in offers if not hasattr(o, "coupons_json")]
    if loose:
        by_offer: dict[int, list] = {o.pk: [] for o in loose}
        for coupon in Coupon.objects.filter(offer__in=loose).order_by("id"):
            by_offer[coupon.offer_id].append(coupon)
        for offer in loose:
            offer.loaded_coupons = by_offer[offer.pk]
    if not reader.is_authenticated:
        return
    need = [o for o in offers if not hasattr(o, "reader_grants_json")]
    handouts = [o.pk for o in need if any(c.handout for c in _coupons_of(o))]
    taken: dict[int, list] = {pk: [] for pk in handouts}
    if handouts:
        grants = CouponGrant.objects.filter(coupon__offer__in=handouts, member=reader)
        for offer_id, coupon_id in grants.values_list("coupon__offer_id", "coupon_id"):
            taken[offer_id].append(coupon_id)
    for offer in need:
        offer.reader_grants_json = taken.get(offer.pk, [])


def _coupons_of(offer) -> list[Coupon]:
    if not hasattr(offer, "loaded_coupons"):
        rows = sorted(_rows(getattr(offer, "coupons_json", None)), key=lambda r: r["id"])
        offer.loaded_coupons = [_coupon(row, offer.pk) for row in rows]
    return offer.loaded_coupons


def card_coupons(offer, *, claims, is_merchant, now) -> dict:
    """What the card shows: for its merchant every coupon with its uses; for others the
    handouts to take, the ones they took, and the code their claim form starts with."""
    coupons = _coupons_of(offer)
    taken = set(_rows(getattr(offer, "reader_grants_json", None)))
    in_use = {c.coupon_id for c in claims if c.status in Claim.HOLDING and c.coupon_id}
    handouts = []
    prefill = ""
    for coupon in coupons:
        valid = coupon.ends_at is None or now < coupon.ends_at
        if not coupon.handout:
            continue
        mine = coupon.pk in taken
        left = max((coupon.max_uses or 0) - coupon.handed_out, 0)
        if not (valid or mine):
            continue
        usable = mine and coupon.pk not in in_use and valid
        if usable and not prefill:
            prefill = coupon.code
        handouts.append({"coupon": coupon, "left": left, "mine": mine, "used": coupon.pk in in_use, "usable": usable})
    return {
        "coupons": coupons if is_merchant else [],
        "handouts": handouts,
        "coupon_prefill": prefill,
        "coupon_codes": {c.pk: c.code for c in coupons},
    }
