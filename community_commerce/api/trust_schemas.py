"""Schemas of buyer protection and reputation (shared/API.md, "Buyer protection and
reputation"). As in schemas.py, inputs a service checks with its own stable code (stars,
a dispute's reason, an outcome) take anything and document what the service expects."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from community_commerce.api.schemas import OrderStatus, one_of
from community_commerce.models import Dispute, DisputeMessage

DisputeReason = one_of(Dispute.Reason)
DisputeStatus = one_of(Dispute.Status)


def documented(schema: dict):
    """Anything JSON, handed to the service as given; documented as what it expects."""
    return Annotated[Any, Field(json_schema_extra=schema)]


class RefundIn(Schema):
    reason: str | None = Field(None, description="Required: the buyer is told why.")


class DisputeIn(Schema):
    reason: documented({"type": "string", "enum": list(Dispute.Reason.values)}) = None
    details: str | None = Field(
        None, description="What went wrong, for the merchant and staff (up to 2,000 characters)."
    )


class MessageIn(Schema):
    body: str | None = Field(None, description="Up to 2,000 characters.")


class ResolveIn(Schema):
    outcome: documented({"type": "string", "enum": ["refund", "reject"]}) = None
    reason: str | None = Field(None, description="Required: the buyer and the merchant are told why.")


class RatingIn(Schema):
    stars: documented({"type": "integer", "minimum": 1, "maximum": 5}) = None
    comment: str | None = Field(None, description="Up to 500 characters.")


class ReplyIn(Schema):
    body: str | None = Field(None, description="The merchant's reply, once (up to 500 characters).")


class HideIn(Schema):
    reason: str | None = Field(None, description="Required: why the comment is hidden.")


class DisputeMessageOut(Schema):
    id: int
    author: str | None
    side: one_of(DisputeMessage.Side)
    body: str
    created_at: datetime


class DisputeOut(Schema):
    id: int
    order: int
    order_number: str
    order_status: OrderStatus
    status: DisputeStatus
    reason: DisputeReason
    details: str
    created_at: datetime
    resolved_at: datetime | None
    resolution_reason: str
    messages: list[DisputeMessageOut]


class DisputeSummaryOut(Schema):
    id: int
    order: int
    order_number: str
    status: DisputeStatus
    reason: DisputeReason
    created_at: datetime
    resolved_at: datetime | None


class DisputePage(Schema):
    items: list[DisputeSummaryOut]
    count: int


class RatingOut(Schema):
    """A rating as this reader may see it: before publication its stars and comment show only
    to its buyer and moderators (``stars`` and ``comment`` are null for anyone else)."""

    id: int
    order: int
    merchant_id: int
    buyer: str | None
    stars: int | None
    comment: str | None = Field(description="Null while blind to the reader, or hidden by moderators.")
    comment_hidden: bool
    hidden_reason: str
    reply: str
    replied_at: datetime | None
    published: bool
    published_at: datetime | None
    created_at: datetime


class RatingPage(Schema):
    items: list[RatingOut]
    count: int


class RatingSummary(Schema):
    average: float | None = Field(description="Average stars of the published ratings, two decimals.")
    count: int


class LimitsOut(Schema):
    new_merchant: bool
    completed_orders_needed: int = Field(description="Completed orders after which the new-shop limit lifts.")
    max_offer_value: dict[str, str] | None = Field(
        description="While new: what one offer may be worth (units x highest unit price), by currency; "
        "'default' for currencies not listed."
    )


class MerchantOut(Schema):
    id: int
    name: str
    status: Literal["verified", "suspended"]
    ships_within_days: int
    rating: RatingSummary
    completed_orders: int
    dispute_rate: float | None = Field(description="Disputes ended in a refund / orders ever paid; null before any.")
    on_time_rate: float | None = Field(
        description="Orders shipped within ships_within_days of payment / orders due; null before any."
    )
    limits: LimitsOut
