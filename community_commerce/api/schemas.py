"""Input and output schemas of the commerce API (shared/API.md).

Inputs are deliberately loose where a service checks the value and answers
with its own stable code (a quantity of "abc", 0 or 1.5 is the service's
``invalid_quantity``, not a framework error): such fields take anything and
only document the type the service expects. What the framework can check as
well as a service (an id, a kind, a non-empty title) is typed, so the OpenAPI
schema tells clients and fuzzers the truth. No input carries a price: prices
are computed on the server (ARCHITECTURE.md, rule 6), so a ``unit_price`` or
``total`` a client sends is ignored.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from community_commerce.api.types import Id, NonEmpty
from community_commerce.models import Claim, Offer, Order
from community_commerce.services.claim import MAX_QUANTITY
from community_commerce.services.post_offer import MAX_STOCK


def whole(maximum: int):
    """Anything JSON, handed to the service as given; documented as the whole number it expects."""
    return Annotated[Any, Field(json_schema_extra={"type": "integer", "minimum": 1, "maximum": maximum})]


def one_of(choices):
    """A string among a model's choices (an enum in the schema)."""
    return Literal[tuple(choices.values)]


OfferKind = one_of(Offer.Kind)
OfferStatus = one_of(Offer.Status)
ClaimStatus = one_of(Claim.Status)
OrderStatus = one_of(Order.Status)
Stock = whole(MAX_STOCK)
DATE_TIME = {"format": "date-time"}  # parsed by the service, which names the field when it is not one


# --- Offers -----------------------------------------------------------------------------------------


class OfferIn(Schema):
    """Create an offer. ``terms`` depend on the kind (API.md, "Offer body")."""

    kind: OfferKind
    thread: Id
    title: NonEmpty
    description: str = ""
    currency: str
    starts_at: str = Field(description="ISO 8601 with an offset", json_schema_extra=DATE_TIME)
    ends_at: str = Field(description="ISO 8601 with an offset", json_schema_extra=DATE_TIME)
    stock: Stock = None
    per_user_limit: Stock = None
    terms: dict[str, Any]


class OfferPatch(Schema):
    """Edit an offer before its first claim: only the fields sent change."""

    title: NonEmpty | None = None
    description: str | None = None
    currency: str | None = None
    starts_at: str | None = Field(None, json_schema_extra=DATE_TIME)
    ends_at: str | None = Field(None, json_schema_extra=DATE_TIME)
    stock: Stock = None
    per_user_limit: Stock = None
    terms: dict[str, Any] | None = None


class Tier(Schema):
    min_quantity: int
    unit_price: str


class OfferOut(Schema):
    """An offer's live state. The kind-specific fields appear only for their kind."""

    id: int
    kind: OfferKind
    thread: int
    url: str
    merchant: str
    merchant_id: int = Field(description="The shop: its reputation at /api/v1/merchants/{merchant_id}.")
    title: str
    description: str
    status: OfferStatus
    is_open: bool
    currency: str
    current_unit_price: str | None
    stock: int | None
    stock_left: int | None
    quantity_claimed: int
    buyers: int
    per_user_limit: int | None
    starts_at: datetime
    ends_at: datetime
    closed_at: datetime | None
    cancel_reason: str
    terms: dict[str, Any]
    server_time: datetime
    # group_buy
    min_quantity: int | None = None
    reached: bool | None = None
    tiers: list[Tier] | None = None
    current_tier: Tier | None = None
    next_tier: Tier | None = None
    # dutch_auction
    start_price: str | None = None
    floor_price: str | None = None
    next_price: str | None = None
    next_price_at: datetime | None = None


class OfferPage(Schema):
    items: list[OfferOut]
    count: int


class ReasonIn(Schema):
    reason: str | None = None


class ReminderOut(Schema):
    offer: int
    created: bool


# --- Claims -----------------------------------------------------------------------------------------


class ClaimIn(Schema):
    quantity: whole(MAX_QUANTITY) = None
    idempotency_key: str | int | None = Field(
        None, description="Send the same key again (a retry) to get the first claim back instead of a second one."
    )
    coupon: str | None = Field(None, description="A coupon code (spaces and case do not matter).")
    ref: str | None = Field(None, description="The code of the share link the app was opened with (/r/<code>).")


class ClaimOut(Schema):
    id: int
    offer: int
    quantity: int
    status: ClaimStatus
    unit_price: str
    discount: str
    total: str = Field(description="unit_price x quantity less the discount (a group-buy's order sets the final one).")
    currency: str
    channel: str
    coupon: str | None
    order: int | None
    idempotency_key: str | None
    created_at: datetime
    ended_at: datetime | None


class ClaimPage(Schema):
    items: list[ClaimOut]
    count: int


# --- Orders -----------------------------------------------------------------------------------------


class OrderEventOut(Schema):
    at: datetime
    actor: str | None
    from_status: OrderStatus | Literal[""] = Field(description="Empty for the event that created the order.")
    to_status: OrderStatus
    reason: str


class OrderOut(Schema):
    id: int
    number: str
    offer: int
    offer_title: str
    claim: int
    buyer: str
    merchant: str
    quantity: int
    unit_price: str
    discount: str
    total: str = Field(description="unit_price x quantity less the discount.")
    currency: str
    channel: str
    coupon: str | None
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    payment_due_at: datetime | None
    payment_instructions: str | None
    events: list[OrderEventOut]


class OrderPage(Schema):
    items: list[OrderOut]
    count: int


# --- Share links and coupons ------------------------------------------------------------------------


class LinkIn(Schema):
    """A share link to an offer or (without ``offer``) a thread. ``channel``: a campaign's label,
    for the target's merchant (lower-case letters, digits and "-", up to 40)."""

    offer: Id | None = None
    thread: Id | None = None
    channel: str | None = None


class LinkTarget(Schema):
    offer: int | None
    thread: int
    url: str


class Amount(Schema):
    currency: str
    amount: str


class LinkOut(Schema):
    id: int
    code: str
    url: str
    kind: Literal["referral", "campaign"]
    channel: str
    target: LinkTarget
    created_at: datetime


class MyLinkOut(LinkOut):
    visits: int
    visitors: int
    signups: int
    claims: int
    paid_orders: int
    revenue: list[Amount] = Field(description="Paid, shipped or completed orders, net of discounts, per currency.")


class LinkPage(Schema):
    items: list[MyLinkOut]
    count: int


class CouponIn(Schema):
    """``value``: an amount in the offer's currency or a percentage (up to 100). A handout
    (``handout: true``) drops ``max_uses`` coupons for members to take, one each."""

    code: str | None = None
    discount_type: Literal["amount", "percent"]
    value: Annotated[Any, Field(json_schema_extra={"type": "string", "examples": ["10", "2.50"]})] = None
    max_uses: Stock = None
    handout: bool = False
    min_quantity: Stock = None
    starts_at: str | None = Field(None, json_schema_extra=DATE_TIME)
    ends_at: str | None = Field(None, json_schema_extra=DATE_TIME)
    channel: str | None = None


class CouponOut(Schema):
    id: int
    offer: int
    code: str | None = Field(description="Null for a handout, to members: taking one gives its code.")
    discount_type: Literal["amount", "percent"]
    value: str
    currency: str
    max_uses: int | None
    uses: int
    handout: bool
    handed_out: int
    left: int | None = Field(description="Uses (a handout: coupons to take) left; null without a limit.")
    min_quantity: int
    starts_at: datetime | None
    ends_at: datetime | None
    channel: str
    created_at: datetime


class CouponPage(Schema):
    items: list[CouponOut]
    count: int


class GrantOut(Schema):
    coupon: int
    code: str
    offer: int
    offer_title: str
    discount_type: Literal["amount", "percent"]
    value: str
    currency: str
    min_quantity: int
    ends_at: datetime | None
    taken_at: datetime


class GrantPage(Schema):
    items: list[GrantOut]
    count: int
