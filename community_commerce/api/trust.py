"""JSON API of buyer protection and reputation (shared/API.md, "Buyer protection and
reputation"): receipt, refunds, disputes, ratings and a shop's reputation. Thin: parse,
call one service, serialize. Mounted before the core router (api/__init__.py), so its
``/orders/{id}/receive`` and the like come before the pipeline's ``/orders/{id}/{action}``."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Status

from community_commerce.api.router import order_data, page_of
from community_commerce.api.schemas import OrderOut
from community_commerce.api.trust_schemas import (
    DisputeIn,
    DisputeOut,
    DisputePage,
    DisputeStatus,
    HideIn,
    MerchantOut,
    MessageIn,
    RatingIn,
    RatingOut,
    RatingPage,
    RefundIn,
    ReplyIn,
    ResolveIn,
)
from community_commerce.api.types import BODY, WRITE, Id, Page, errors, per_page
from community_commerce.errors import NotFound
from community_commerce.models import Dispute, Merchant, Order
from community_commerce.services import disputes, limits, orders, ratings, receipt, reputation

router = Router(tags=["buyer protection"])
PerPage = per_page(100)


def _get(payload, name):
    """A field of an optional body (no body: the service names what is missing)."""
    return getattr(payload, name, None) if payload is not None else None


# --- Receipt and refund -------------------------------------------------------------------------


@router.post("/orders/{order_id}/receive", response={200: OrderOut, **errors(400, WRITE, 404, 409)})
def receive(request, order_id: Id):
    """Its buyer: the shipped order arrived, it is completed (again: no change). 409 `not_shipped`."""
    order, _changed = receipt.receive(order_id=order_id, buyer=request.auth)
    return order_data(orders.get_for(request.auth, order.pk))


@router.post("/orders/{order_id}/refund", response={200: OrderOut, **errors(400, WRITE, 404, 409, BODY)})
def refund(request, order_id: Id, payload: RefundIn | None = None):
    """Its merchant (or staff): give a paid order's money back, with a reason for the buyer.
    Everything the order took comes back once (units, coupon use, commissions, points)."""
    order, _changed = orders.transition(
        order_id=order_id, to_status=Order.Status.REFUNDED, actor=request.auth, reason=_get(payload, "reason") or ""
    )
    return order_data(orders.get_for(request.auth, order.pk))


# --- Disputes -----------------------------------------------------------------------------------


def dispute_data(dispute) -> dict:
    return {
        "id": dispute.pk,
        "order": dispute.order_id,
        "order_number": dispute.order.number,
        "order_status": dispute.order.status,
        "status": dispute.status,
        "reason": dispute.reason,
        "details": dispute.details,
        "created_at": dispute.created_at,
        "resolved_at": dispute.resolved_at,
        "resolution_reason": dispute.resolution_reason,
        "messages": [
            {
                "id": m.pk,
                "author": m.author.get_username() if m.author else None,
                "side": m.side,
                "body": m.body,
                "created_at": m.created_at,
            }
            for m in dispute.messages.select_related("author")
        ],
    }


def _fresh(user, dispute_id) -> dict:
    return dispute_data(disputes.get_for(user, dispute_id))


@router.post("/orders/{order_id}/disputes", response={201: DisputeOut, **errors(400, WRITE, 404, 409, BODY)})
def open_dispute(request, order_id: Id, payload: DisputeIn | None = None):
    """Its buyer, on a paid or shipped order (or completed within REFUND_DAYS): the order becomes
    `disputed`. 409 `already_disputed`, `not_paid`, `not_disputable`, `refund_window_closed`."""
    dispute = disputes.open_dispute(
        order_id=order_id, buyer=request.auth, reason=_get(payload, "reason"), details=_get(payload, "details")
    )
    return Status(201, _fresh(request.auth, dispute.pk))


@router.get("/orders/{order_id}/dispute", response={200: DisputeOut, **errors(400, 401, 404)})
def order_dispute(request, order_id: Id):
    """Extension: the dispute of an order, for its buyer, its merchant and staff."""
    return dispute_data(disputes.of_order(request.auth, order_id))


@router.get("/disputes", response={200: DisputePage, **errors(400, 401)})
def list_disputes(request, status: DisputeStatus | None = None, page: Page = 1, per_page: PerPage = 20):
    """Extension: staff and moderators see every dispute; members those of their own orders and shop."""
    found = Dispute.objects.select_related("order").order_by("-id")
    if not disputes.handles(request.auth):
        found = found.filter(Q(order__buyer=request.auth) | Q(order__merchant__user=request.auth))
    if status:
        found = found.filter(status=status)
    items, count = page_of(found, page, per_page)
    return {
        "items": [
            {"id": d.pk, "order": d.order_id, "order_number": d.order.number, "status": d.status,
             "reason": d.reason, "created_at": d.created_at, "resolved_at": d.resolved_at}
            for d in items
        ],
        "count": count,
    }  # fmt: skip


@router.get("/disputes/{dispute_id}", response={200: DisputeOut, **errors(400, 401, 404)})
def get_dispute(request, dispute_id: Id):
    return _fresh(request.auth, dispute_id)


@router.post("/disputes/{dispute_id}/messages", response={201: DisputeOut, **errors(400, WRITE, 404, 409, BODY)})
def post_message(request, dispute_id: Id, payload: MessageIn | None = None):
    """Its buyer, its merchant or staff: a message; the other sides are told. Answers the dispute."""
    disputes.post_message(dispute_id=dispute_id, author=request.auth, body=_get(payload, "body"))
    return Status(201, _fresh(request.auth, dispute_id))


@router.post("/disputes/{dispute_id}/resolve", response={200: DisputeOut, **errors(400, WRITE, 404, 409, BODY)})
def resolve(request, dispute_id: Id, payload: ResolveIn | None = None):
    """Staff who are no party: `refund` (the order is refunded, everything it took given back
    once) or `reject` (the order goes back where it was). The same decision again changes
    nothing. 403 `own_dispute`, 409 `dispute_closed`."""
    disputes.resolve(
        dispute_id=dispute_id, actor=request.auth, outcome=_get(payload, "outcome"), reason=_get(payload, "reason")
    )
    return _fresh(request.auth, dispute_id)


# --- Ratings ------------------------------------------------------------------------------------


def rating_data(rating, user) -> dict:
    shown = ratings.shown_to(user, rating)
    return {
        "id": rating.pk,
        "order": rating.order_id,
        "merchant_id": rating.merchant_id,
        "buyer": rating.buyer.get_username() if rating.buyer else None,
        "stars": rating.stars if shown else None,
        "comment": rating.comment if shown and not rating.is_hidden else None,
        "comment_hidden": rating.is_hidden,
        "hidden_reason": rating.hidden_reason,
        "reply": rating.reply if rating.is_published or user.pk == rating.merchant.user_id else "",
        "replied_at": rating.replied_at,
        "published": rating.is_published,
        "published_at": rating.published_at,
        "created_at": rating.created_at,
    }


@router.post("/orders/{order_id}/rating", response={201: RatingOut, **errors(400, WRITE, 404, 409, BODY)})
def rate(request, order_id: Id, payload: RatingIn | None = None):
    """Its buyer, on a completed order that was not refunded, once: 1 to 5 stars and a short
    comment. Published when the merchant has replied, or after RATING_BLIND_DAYS.
    400 `invalid_stars`; 403 `not_buyer`; 409 `already_rated`, `order_refunded`, `not_completed`."""
    rating = ratings.rate(
        order_id=order_id, buyer=request.auth, stars=_get(payload, "stars"), comment=_get(payload, "comment")
    )
    return Status(201, rating_data(ratings.get_visible(request.auth, rating.pk), request.auth))


@router.get("/orders/{order_id}/rating", response={200: RatingOut, **errors(400, 401, 404)})
def order_rating(request, order_id: Id):
    """Extension: the order's rating for its buyer, its merchant (blind until published) and staff."""
    order = orders.get_for(request.auth, order_id)
    rating_id = getattr(getattr(order, "rating", None), "pk", None)
    if rating_id is None:
        raise NotFound(_("No such rating."))
    return rating_data(ratings.get_visible(request.auth, rating_id), request.auth)


@router.post("/ratings/{rating_id}/reply", response={200: RatingOut, **errors(400, WRITE, 404, 409, BODY)})
def reply(request, rating_id: Id, payload: ReplyIn | None = None):
    """Extension: the order's merchant replies once (blind: it publishes both). 409 `already_replied`."""
    rating = ratings.reply(rating_id=rating_id, merchant_user=request.auth, body=_get(payload, "body"))
    return rating_data(rating, request.auth)


@router.post("/ratings/{rating_id}/hide", response={200: RatingOut, **errors(400, WRITE, 404, BODY)})
def hide(request, rating_id: Id, payload: HideIn | None = None):
    """Extension: moderators hide an abusive comment, with a reason; the stars still count."""
    rating, _changed = ratings.hide(rating_id=rating_id, moderator=request.auth, reason=_get(payload, "reason"))
    return rating_data(rating, request.auth)


# --- Merchants ----------------------------------------------------------------------------------


def _shop(merchant_id) -> Merchant:
    return get_object_or_404(Merchant.objects.exclude(status=Merchant.Status.PENDING), pk=merchant_id)


@router.get("/merchants/{merchant_id}", response={200: MerchantOut, **errors(400, 404)}, auth=None)
def get_merchant(request, merchant_id: Id):
    """A shop and its reputation; a shop still waiting for review is not found."""
    merchant = _shop(merchant_id)
    row = reputation.of(merchant)
    return {
        "id": merchant.pk,
        "name": merchant.display_name,
        "status": merchant.status,
        "ships_within_days": merchant.ships_within_days,
        "rating": {
            "average": float(row.rating_average) if row.rating_average is not None else None,
            "count": row.rating_count,
        },
        "completed_orders": row.completed_orders,
        "dispute_rate": float(row.dispute_rate) if row.dispute_rate is not None else None,
        "on_time_rate": float(row.on_time_rate) if row.on_time_rate is not None else None,
        "limits": limits.limits_of(merchant, completed=row.completed_orders),
    }


@router.get("/merchants/{merchant_id}/ratings", response={200: RatingPage, **errors(400, 404)}, auth=None)
def merchant_ratings(request, merchant_id: Id, page: Page = 1, per_page: PerPage = 20):
    """Extension: the shop's published ratings, newest first (hidden comments left out, with why)."""
    merchant = _shop(merchant_id)
    found = ratings.published(merchant).select_related("buyer", "merchant")
    items, count = page_of(found, page, per_page)
    return {"items": [rating_data(r, request.user) for r in items], "count": count}
