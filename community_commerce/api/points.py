"""JSON API: the member's own points (shared/API.md "Points and games"): the balance kept by
services/points.py and one page of the ledger, newest first. Nobody reads another member's."""

from datetime import datetime

from ninja import Field, Router, Schema

from community_commerce.api.pages import page_of
from community_commerce.api.types import Page, errors, per_page
from community_commerce.services import points

router = Router(tags=["points and games"])
PerPage = per_page(100)


class PointsEntryOut(Schema):
    id: int
    amount: int = Field(description="Points, + earned or given back, - spent or clawed back.")
    source: str = Field(description="order, referral, guess, clawback, refund or staff.")
    state: str = Field(description="pending (until the refund window passes) or available.")
    reason: str = Field(description="Why, in the reader's language.")
    order: int | None
    offer: int | None
    created_at: datetime
    available_at: datetime | None = Field(description="When a pending entry becomes available.")


class PointsOut(Schema):
    balance: int = Field(description="Available points; negative after a clawback of spent points.")
    pending: int = Field(description="Earned points still inside the refund window.")
    entries: list[PointsEntryOut]
    count: int = Field(description="How many entries the member has in all.")


def entry_data(entry) -> dict:
    return {
        "id": entry.pk,
        "amount": entry.amount,
        "source": entry.source,
        "state": entry.state,
        "reason": entry.reason_shown,
        "order": entry.order_id,
        "offer": entry.offer_id,
        "created_at": entry.created_at,
        "available_at": entry.available_at,
    }


@router.get("/me/points", response={200: PointsOut, **errors(400, 401)})
def my_points(request, page: Page = 1, per_page: PerPage = 50):
    """The member's balance, pending points and ledger entries (one page, newest first)."""
    items, count = page_of(points.history(request.auth), page, per_page)
    return {**points.balance_of(request.auth), "entries": [entry_data(e) for e in items], "count": count}
