"""JSON API for share links and coupons (shared/API.md, "Sharing, channels and coupons").
Thin: parse, call one service, serialize. ``GET /r/<code>`` is a page, not an API call
(community_commerce/views/links.py)."""

from django.shortcuts import get_object_or_404
from ninja import Router, Status

from community_commerce.api.pages import page_of
from community_commerce.api.schemas import (
    CouponIn,
    CouponOut,
    CouponPage,
    GrantOut,
    GrantPage,
    LinkIn,
    LinkOut,
    LinkPage,
)
from community_commerce.api.types import BODY, WRITE, Id, Page, errors, per_page
from community_commerce.models import Offer
from community_commerce.money import fmt
from community_commerce.services import coupons, links

router = Router(tags=["sharing"])
PerPage = per_page(100)


def link_data(request, link) -> dict:
    return {
        "id": link.pk,
        "code": link.code,
        "url": request.build_absolute_uri(f"/r/{link.code}"),
        "kind": link.kind,
        "channel": link.channel,
        "target": {
            "offer": link.offer_id,
            "thread": link.thread_id,
            "url": request.build_absolute_uri(links.target_url(link)),
        },
        "created_at": link.created_at,
    }


def coupon_data(coupon, currency, *, show_code=True) -> dict:
    left = None if coupon.max_uses is None else coupon.max_uses - (coupon.handed_out if coupon.handout else coupon.uses)
    return {
        "id": coupon.pk,
        "offer": coupon.offer_id,
        "code": coupon.code if show_code or not coupon.handout else None,
        "discount_type": coupon.discount_type,
        "value": _value(coupon, currency),
        "currency": currency,
        "max_uses": coupon.max_uses,
        "uses": coupon.uses,
        "handout": coupon.handout,
        "handed_out": coupon.handed_out,
        "left": max(left, 0) if left is not None else None,
        "min_quantity": coupon.min_quantity,
        "starts_at": coupon.starts_at,
        "ends_at": coupon.ends_at,
        "channel": coupon.channel,
        "created_at": coupon.created_at,
    }


def _value(coupon, currency) -> str:
    if coupon.discount_type == "percent":
        return f"{coupon.value.normalize():f}"
    return fmt(coupon.value, currency)


def grant_data(grant) -> dict:
    coupon, offer = grant.coupon, grant.coupon.offer
    return {
        "coupon": coupon.pk,
        "code": coupon.code,
        "offer": offer.pk,
        "offer_title": offer.title,
        "discount_type": coupon.discount_type,
        "value": _value(coupon, offer.currency),
        "currency": offer.currency,
        "min_quantity": coupon.min_quantity,
        "ends_at": coupon.ends_at,
        "taken_at": grant.taken_at,
    }


# --- Links ---------------------------------------------------------------------------------------------


@router.post("/links", response={200: LinkOut, 201: LinkOut, **errors(400, WRITE, 404, BODY)})
def create_link(request, payload: LinkIn):
    """201 with a new link; 200 with the member's existing link to the same target and channel."""
    link, created = links.get_or_create_link(
        user=request.auth, offer_id=payload.offer, thread_id=payload.thread, channel=payload.channel
    )
    return Status(201 if created else 200, link_data(request, link))


@router.get("/me/links", response={200: LinkPage, **errors(400, 401)})
def my_links(request, page: Page = 1, per_page: PerPage = 20):
    """The member's links with what each brought: visits, unique visitors, signups, claims,
    paid orders and revenue (paid, shipped or completed orders, net of discounts)."""
    items, count = page_of(links.links_of(request.auth), page, per_page)
    figures = links.link_figures(items)
    out = []
    for link in items:
        figure = figures[link.pk]
        revenue = [{"currency": r["currency"], "amount": fmt(r["amount"], r["currency"])} for r in figure["revenue"]]
        out.append({**link_data(request, link), **figure, "revenue": revenue})
    return {"items": out, "count": count}


# --- Coupons -------------------------------------------------------------------------------------------


@router.post("/offers/{offer_id}/coupons", response={201: CouponOut, **errors(400, WRITE, 404, 409, BODY)})
def create_coupon(request, offer_id: Id, payload: CouponIn):
    """Its merchant: a public code, or a handout of ``max_uses`` coupons; both are announced in the thread."""
    coupon = coupons.create_coupon(user=request.auth, offer_id=offer_id, **payload.dict())
    return Status(201, coupon_data(coupon, coupon.offer.currency))


@router.get("/offers/{offer_id}/coupons", response={200: CouponPage, **errors(400, 401, 404)})
def list_coupons(request, offer_id: Id, page: Page = 1, per_page: PerPage = 20):
    """Its merchant sees every coupon; members the ones still valid (a handout's code comes with taking it)."""
    offer = get_object_or_404(Offer.objects.select_related("merchant"), pk=offer_id)
    mine = request.auth.is_staff or offer.merchant.user_id == request.auth.pk
    items, count = page_of(coupons.visible_to(offer, request.auth), page, per_page)
    return {"items": [coupon_data(c, offer.currency, show_code=mine) for c in items], "count": count}


@router.post("/coupons/{coupon_id}/take", response={200: GrantOut, 201: GrantOut, **errors(400, WRITE, 404, 409)})
def take_coupon(request, coupon_id: Id):
    """One of a handout's coupons: one per member, first come. 201 taken now, 200 taken before;
    409 ``coupons_gone`` when none is left."""
    grant, created = coupons.take(coupon_id=coupon_id, member=request.auth)
    return Status(201 if created else 200, grant_data(grant))


@router.get("/me/coupons", response={200: GrantPage, **errors(400, 401)})
def my_coupons(request, page: Page = 1, per_page: PerPage = 20):
    """Coupons the member took and has not used (a use given back makes one usable again)."""
    items, count = page_of(coupons.my_coupons(request.auth), page, per_page)
    return {"items": [grant_data(g) for g in items], "count": count}
