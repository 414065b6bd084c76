"""JSON API for offers, claims and orders (shared/API.md).

Each endpoint is thin: it parses the input, calls one service and serializes
the result. Rules (who may, when, at what price) live in the services; their
errors (community_commerce.errors) become ``{"code", "message", "fields"?}``
in config/api.py. Lists load a whole page in a fixed number of queries.
"""

from typing import Annotated

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Status

from community_commerce.api.pages import page_of
from community_commerce.api.schemas import (
    ClaimIn,
    ClaimOut,
    ClaimPage,
    ClaimStatus,
    OfferIn,
    OfferKind,
    OfferOut,
    OfferPage,
    OfferPatch,
    OfferStatus,
    OrderOut,
    OrderPage,
    OrderStatus,
    ReasonIn,
    ReminderOut,
)
from community_commerce.api.types import BODY, WRITE, Id, Page, errors, per_page
from community_commerce.errors import NotFound
from community_commerce.models import Claim, Coupon, Offer, Order, OrderEvent
from community_commerce.money import fmt
from community_commerce.payments import provider
from community_commerce.services import claim as claim_service
from community_commerce.services import lifecycle, orders, post_offer, reminders, withdraw
from community_commerce.services.merchants import verified_merchant_of
from community_commerce.services.offer_state import live_states

router = Router(tags=["commerce"])

PER_PAGE = 20
MAX_PER_PAGE = 100
PerPage = per_page(MAX_PER_PAGE)
# Documented as the four actions; any other answers the router's 404 "No such action".
Action = Annotated[str, Field(json_schema_extra={"enum": list(orders.ACTIONS)})]


# --- Reading helpers --------------------------------------------------------------------------------


def offers_data(request, offers) -> list[dict]:
    """Live states (buyers counted in one query), with absolute URLs like the forum's threads."""
    states = live_states(offers)
    for state in states:
        state["url"] = request.build_absolute_uri(state["url"])
    return states


def offer_data(request, offer) -> dict:
    return offers_data(request, [offer])[0]


def claim_data(claim, currency=None, coupon_codes=None) -> dict:
    if coupon_codes is None:
        coupon_codes = codes_of([claim])
    order = getattr(claim, "order", None)  # the reverse one-to-one: None for a commitment
    currency = currency or claim.offer.currency
    return {
        "id": claim.pk,
        "offer": claim.offer_id,
        "quantity": claim.quantity,
        "status": claim.status,
        "unit_price": fmt(claim.unit_price, currency),
        "discount": fmt(order.discount if order else claim.discount, currency),
        "total": fmt(order.total if order else claim.unit_price * claim.quantity - claim.discount, currency),
        "currency": currency,
        "channel": claim.channel,
        "coupon": coupon_codes.get(claim.coupon_id) if claim.coupon_id else None,
        "order": order.pk if order else None,
        "idempotency_key": claim.idempotency_key,
        "created_at": claim.created_at,
        "ended_at": claim.ended_at,
    }


def codes_of(claims) -> dict[int, str]:
    """The coupon codes of these claims, in one query (none when no claim has a coupon, or
    when a new claim carries its coupon already)."""
    known = {c.coupon_id: c.coupon.code for c in claims if c.coupon_id and Claim.coupon.is_cached(c)}
    ids = {c.coupon_id for c in claims if c.coupon_id} - set(known)
    return known | (dict(Coupon.objects.filter(pk__in=ids).values_list("id", "code")) if ids else {})


def event_data(event) -> dict:
    return {
        "at": event.at,
        "actor": event.actor.username if event.actor else None,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "reason": event.reason,
    }


def order_data(order, events=None) -> dict:
    if events is None:
        events = order.events.select_related("actor")
    pending = order.status == Order.Status.PENDING_PAYMENT
    return {
        "id": order.pk,
        "number": order.number,
        "offer": order.offer_id,
        "offer_title": order.offer.title,
        "claim": order.claim_id,
        "buyer": order.buyer.username,
        "merchant": order.merchant.display_name,
        "quantity": order.quantity,
        "unit_price": fmt(order.unit_price, order.currency),
        "discount": fmt(order.discount, order.currency),
        "total": fmt(order.total, order.currency),
        "currency": order.currency,
        "channel": order.channel,
        "coupon": order.coupon.code if order.coupon_id else None,
        "status": order.status,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "payment_due_at": order.payment_due_at,
        "payment_instructions": provider().instructions(order) if pending else None,
        "events": [event_data(e) for e in events],
    }


def orders_page(queryset, status, page, per_page) -> dict:
    """A page of orders with their events: four queries whatever the page size."""
    queryset = queryset.select_related("offer", "buyer", "merchant", "coupon").prefetch_related(
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor"))
    )
    if status:
        queryset = queryset.filter(status=status)
    items, count = page_of(queryset, page, per_page)
    return {"items": [order_data(o, o.events.all()) for o in items], "count": count}


# --- Offers -----------------------------------------------------------------------------------------


@router.get("/offers", response={200: OfferPage, **errors(400)}, auth=None, exclude_unset=True)
def list_offers(
    request,
    thread: Id | None = None,
    status: OfferStatus | None = None,
    kind: OfferKind | None = None,
    page: Page = 1,
    per_page: PerPage = PER_PAGE,
):
    """Offers, newest first, with their live state. ``status`` filters on the stored status."""
    offers = Offer.objects.select_related("merchant")
    if thread is not None:
        offers = offers.filter(thread_id=thread)
    if status:
        offers = offers.filter(status=status)
    if kind:
        offers = offers.filter(kind=kind)
    items, count = page_of(offers, page, per_page)
    return {"items": offers_data(request, items), "count": count}


@router.post("/offers", response={201: OfferOut, **errors(400, WRITE, 404, 409, BODY)}, exclude_unset=True)
def create_offer(request, payload: OfferIn):
    """A verified merchant's offer in one of their threads. 409 `merchant_limit`: a new shop's
    offer worth more than it may offer yet (the numbers are in the message)."""
    fields = payload.dict()
    offer = post_offer.create_offer(user=request.auth, thread_id=fields.pop("thread"), **fields)
    return Status(201, offer_data(request, offer))


@router.get("/offers/{offer_id}", response={200: OfferOut, **errors(400, 404)}, auth=None, exclude_unset=True)
def get_offer(request, offer_id: Id):
    return offer_data(request, get_object_or_404(Offer.objects.select_related("merchant"), pk=offer_id))


@router.patch("/offers/{offer_id}", response={200: OfferOut, **errors(400, WRITE, 404, 409, BODY)}, exclude_unset=True)
def update_offer(request, offer_id: Id, payload: OfferPatch):
    offer = post_offer.update_offer(user=request.auth, offer_id=offer_id, **payload.dict(exclude_unset=True))
    return offer_data(request, offer)


@router.post(
    "/offers/{offer_id}/cancel", response={200: OfferOut, **errors(400, WRITE, 404, 409, BODY)}, exclude_unset=True
)
def cancel_offer(request, offer_id: Id, payload: ReasonIn | None = None):
    """Its merchant or staff; ``{"reason"}`` is required (the buyers are told). Cancelling again is a no-op."""
    lifecycle.cancel_offer(offer_id=offer_id, actor=request.auth, reason=payload.reason if payload else None)
    return offer_data(request, Offer.objects.select_related("merchant").get(pk=offer_id))


@router.post("/offers/{offer_id}/remind", response={200: ReminderOut, 201: ReminderOut, **errors(400, WRITE, 404, 409)})
def remind(request, offer_id: Id):
    """Extension: be told when a scheduled offer opens (201 new, 200 asked before)."""
    created = reminders.remind(offer_id=offer_id, user=request.auth)
    return Status(201 if created else 200, {"offer": offer_id, "created": created})


# --- Claims -----------------------------------------------------------------------------------------


@router.post("/offers/{offer_id}/claims", response={200: ClaimOut, 201: ClaimOut, **errors(400, WRITE, 404, 409, BODY)})
def create_claim(request, offer_id: Id, payload: ClaimIn):
    """201 with the new claim; 200 with the earlier one when the idempotency key was used before."""
    claim, created = claim_service.claim(
        offer_id=offer_id, buyer=request.auth, quantity=payload.quantity, idempotency_key=payload.idempotency_key,
        coupon=payload.coupon, ref=payload.ref,
    )  # fmt: skip
    return Status(201 if created else 200, claim_data(claim))


@router.delete("/claims/{claim_id}", response={200: ClaimOut, **errors(400, WRITE, 404, 409)})
def withdraw_claim(request, claim_id: Id):
    """Withdraw a group-buy commitment; withdrawing again changes nothing. Answers with the claim."""
    withdraw.withdraw(claim_id=claim_id, buyer=request.auth)
    return claim_data(Claim.objects.select_related("offer", "order").get(pk=claim_id))


@router.get("/me/claims", response={200: ClaimPage, **errors(400, 401)})
def my_claims(
    request, offer: Id | None = None, status: ClaimStatus | None = None, page: Page = 1, per_page: PerPage = PER_PAGE
):
    claims = Claim.objects.filter(buyer=request.auth).select_related("offer", "order").order_by("-id")
    if offer is not None:
        claims = claims.filter(offer_id=offer)
    if status:
        claims = claims.filter(status=status)
    items, count = page_of(claims, page, per_page)
    codes = codes_of(items)
    return {"items": [claim_data(c, coupon_codes=codes) for c in items], "count": count}


# --- Orders -----------------------------------------------------------------------------------------


@router.get("/me/orders", response={200: OrderPage, **errors(400, 401)})
def my_orders(request, status: OrderStatus | None = None, page: Page = 1, per_page: PerPage = PER_PAGE):
    return orders_page(Order.objects.filter(buyer=request.auth), status, page, per_page)


@router.get("/merchant/orders", response={200: OrderPage, **errors(400, 401, 403)})
def merchant_orders(request, status: OrderStatus | None = None, page: Page = 1, per_page: PerPage = PER_PAGE):
    """The orders of the member's shop (a verified merchant), newest first."""
    merchant = verified_merchant_of(request.auth, refusal=_("Only verified merchants have shop orders."))
    return orders_page(Order.objects.filter(merchant=merchant), status, page, per_page)


@router.get("/orders/{order_id}", response={200: OrderOut, **errors(400, 401, 404)})
def get_order(request, order_id: Id):
    """Its buyer, its merchant or staff; anyone else gets the same 404 as for a missing order."""
    return order_data(orders.get_for(request.auth, order_id))


@router.post("/orders/{order_id}/{action}", response={200: OrderOut, **errors(400, WRITE, 404, 409, BODY)})
def order_action(request, order_id: Id, action: Action, payload: ReasonIn | None = None):
    """One step of the pipeline: pay, ship, complete or cancel (body optional: ``{"reason"}``)."""
    if action not in orders.ACTIONS:
        raise NotFound(_("No such action: use %s.") % ", ".join(orders.ACTIONS))
    order, _changed = orders.transition(
        order_id=order_id,
        to_status=orders.ACTIONS[action],
        actor=request.auth,
        reason=payload.reason if payload else "",
    )
    return order_data(order)


# Share links and coupons (shared/API.md "Sharing, channels and coupons"): their own module.
from community_commerce.api.sharing import router as sharing_router  # noqa: E402

router.add_router("", sharing_router)

# Commissions and reports (shared/API.md "Commissions and reports"): their own module.
from community_commerce.api.reports import router as reports_router  # noqa: E402

router.add_router("", reports_router)
