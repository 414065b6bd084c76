"""JSON API for offers, claims and orders (shared/API.md).

Each endpoint is thin: it parses the input, calls one service and serializes
the result. Rules (who may, when, at what price) live in the services; their
errors (community_commerce.errors) become ``{"code", "message", "fields"?}``
in config/api.py. Lists load a whole page in a fixed number of queries.
"""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Status

from community_commerce.api.schemas import (
    ClaimIn,
    ClaimOut,
    ClaimPage,
    OfferIn,
    OfferOut,
    OfferPage,
    OfferPatch,
    OrderOut,
    OrderPage,
    ReasonIn,
    ReminderOut,
)
from community_commerce.errors import InvalidInput, NotFound
from community_commerce.models import Claim, Offer, Order, OrderEvent
from community_commerce.money import fmt
from community_commerce.payments import provider
from community_commerce.services import claim as claim_service
from community_commerce.services import lifecycle, orders, post_offer, reminders, withdraw
from community_commerce.services.merchants import verified_merchant_of
from community_commerce.services.offer_state import live_states

router = Router(tags=["commerce"])

PER_PAGE = 20
MAX_PER_PAGE = 100


# --- Reading helpers --------------------------------------------------------------------------------


def page_of(queryset, page: int, per_page: int | None):
    """One page of a queryset (pages from 1) and the total count."""
    per_page = min(max(int(per_page or PER_PAGE), 1), MAX_PER_PAGE)
    page = max(int(page or 1), 1)
    start = (page - 1) * per_page
    return list(queryset[start : start + per_page]), queryset.count()


def choice(value, choices, field):
    """A query filter that must be one of ``choices``: a typo is a 400, not an empty list."""
    if value in (None, ""):
        return None
    if value not in choices.values:
        raise InvalidInput(fields={field: [_("Choose one of: %s.") % ", ".join(choices.values)]})
    return value


def offers_data(request, offers) -> list[dict]:
    """Live states (buyers counted in one query), with absolute URLs like the forum's threads."""
    states = live_states(offers)
    for state in states:
        state["url"] = request.build_absolute_uri(state["url"])
    return states


def offer_data(request, offer) -> dict:
    return offers_data(request, [offer])[0]


def claim_data(claim, currency=None) -> dict:
    order = getattr(claim, "order", None)  # the reverse one-to-one: None for a commitment
    currency = currency or claim.offer.currency
    return {
        "id": claim.pk,
        "offer": claim.offer_id,
        "quantity": claim.quantity,
        "status": claim.status,
        "unit_price": fmt(claim.unit_price, currency),
        "currency": currency,
        "order": order.pk if order else None,
        "idempotency_key": claim.idempotency_key,
        "created_at": claim.created_at,
        "ended_at": claim.ended_at,
    }


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
        "total": fmt(order.total, order.currency),
        "currency": order.currency,
        "status": order.status,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "payment_due_at": order.payment_due_at,
        "payment_instructions": provider().instructions(order) if pending else None,
        "events": [event_data(e) for e in events],
    }


def orders_page(queryset, status, page, per_page) -> dict:
    """A page of orders with their events: four queries whatever the page size."""
    queryset = queryset.select_related("offer", "buyer", "merchant").prefetch_related(
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor"))
    )
    status = choice(status, Order.Status, "status")
    if status:
        queryset = queryset.filter(status=status)
    items, count = page_of(queryset, page, per_page)
    return {"items": [order_data(o, o.events.all()) for o in items], "count": count}


# --- Offers -----------------------------------------------------------------------------------------


@router.get("/offers", response=OfferPage, auth=None, exclude_unset=True)
def list_offers(
    request,
    thread: int | None = None,
    status: str | None = None,
    kind: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
):
    """Offers, newest first, with their live state. ``status`` filters on the stored status."""
    offers = Offer.objects.select_related("merchant")
    if thread is not None:
        offers = offers.filter(thread_id=thread)
    if status := choice(status, Offer.Status, "status"):
        offers = offers.filter(status=status)
    if kind := choice(kind, Offer.Kind, "kind"):
        offers = offers.filter(kind=kind)
    items, count = page_of(offers, page, per_page)
    return {"items": offers_data(request, items), "count": count}


@router.post("/offers", response={201: OfferOut}, exclude_unset=True)
def create_offer(request, payload: OfferIn):
    fields = payload.dict()
    offer = post_offer.create_offer(user=request.auth, thread_id=fields.pop("thread"), **fields)
    return Status(201, offer_data(request, offer))


@router.get("/offers/{offer_id}", response=OfferOut, auth=None, exclude_unset=True)
def get_offer(request, offer_id: int):
    return offer_data(request, get_object_or_404(Offer.objects.select_related("merchant"), pk=offer_id))


@router.patch("/offers/{offer_id}", response=OfferOut, exclude_unset=True)
def update_offer(request, offer_id: int, payload: OfferPatch):
    offer = post_offer.update_offer(user=request.auth, offer_id=offer_id, **payload.dict(exclude_unset=True))
    return offer_data(request, offer)


@router.post("/offers/{offer_id}/cancel", response=OfferOut, exclude_unset=True)
def cancel_offer(request, offer_id: int, payload: ReasonIn | None = None):
    """Its merchant or staff; ``{"reason"}`` is required (the buyers are told). Cancelling again is a no-op."""
    lifecycle.cancel_offer(offer_id=offer_id, actor=request.auth, reason=payload.reason if payload else None)
    return offer_data(request, Offer.objects.select_related("merchant").get(pk=offer_id))


@router.post("/offers/{offer_id}/remind", response={200: ReminderOut, 201: ReminderOut})
def remind(request, offer_id: int):
    """Extension: be told when a scheduled offer opens (201 new, 200 asked before)."""
    created = reminders.remind(offer_id=offer_id, user=request.auth)
    return Status(201 if created else 200, {"offer": offer_id, "created": created})


# --- Claims -----------------------------------------------------------------------------------------


@router.post("/offers/{offer_id}/claims", response={200: ClaimOut, 201: ClaimOut})
def create_claim(request, offer_id: int, payload: ClaimIn):
    """201 with the new claim; 200 with the earlier one when the idempotency key was used before."""
    claim, created = claim_service.claim(
        offer_id=offer_id, buyer=request.auth, quantity=payload.quantity, idempotency_key=payload.idempotency_key
    )
    return Status(201 if created else 200, claim_data(claim))


@router.delete("/claims/{claim_id}", response=ClaimOut)
def withdraw_claim(request, claim_id: int):
    """Withdraw a group-buy commitment; withdrawing again changes nothing. Answers with the claim."""
    withdraw.withdraw(claim_id=claim_id, buyer=request.auth)
    return claim_data(Claim.objects.select_related("offer", "order").get(pk=claim_id))


@router.get("/me/claims", response=ClaimPage)
def my_claims(request, offer: int | None = None, status: str | None = None, page: int = 1, per_page: int = PER_PAGE):
    claims = Claim.objects.filter(buyer=request.auth).select_related("offer", "order").order_by("-id")
    if offer is not None:
        claims = claims.filter(offer_id=offer)
    if status := choice(status, Claim.Status, "status"):
        claims = claims.filter(status=status)
    items, count = page_of(claims, page, per_page)
    return {"items": [claim_data(c) for c in items], "count": count}


# --- Orders -----------------------------------------------------------------------------------------


@router.get("/me/orders", response=OrderPage)
def my_orders(request, status: str | None = None, page: int = 1, per_page: int = PER_PAGE):
    return orders_page(Order.objects.filter(buyer=request.auth), status, page, per_page)


@router.get("/merchant/orders", response=OrderPage)
def merchant_orders(request, status: str | None = None, page: int = 1, per_page: int = PER_PAGE):
    """The orders of the member's shop (a verified merchant), newest first."""
    merchant = verified_merchant_of(request.auth)
    return orders_page(Order.objects.filter(merchant=merchant), status, page, per_page)


@router.get("/orders/{order_id}", response=OrderOut)
def get_order(request, order_id: int):
    """Its buyer, its merchant or staff; anyone else gets the same 404 as for a missing order."""
    return order_data(orders.get_for(request.auth, order_id))


@router.post("/orders/{order_id}/{action}", response=OrderOut)
def order_action(request, order_id: int, action: str, payload: ReasonIn | None = None):
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
