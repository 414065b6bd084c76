"""Schemas of the commissions and reports API (shared/API.md, "Commissions and reports")."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

Kind = Literal["cps", "cpa"]
EntryStatus = Literal["pending", "approved", "paid", "void", "reversed", "fraud"]
Day = Annotated[str | None, Field(description="YYYY-MM-DD, in the site's time zone.", examples=["2026-03-01"])]
Month = Annotated[str | None, Field(description="YYYY-MM.", examples=["2026-03"])]


class EntryOut(Schema):
    id: int
    kind: Kind
    beneficiary: Literal["forum", "member"]
    order: int
    order_number: str
    amount: str = Field(description="In the currency's decimals; a reversal is negative.")
    currency: str
    status: EntryStatus
    rate: str | None = Field(description="Percent of the order's total net of discounts; null for a CPA.")
    base: str | None = Field(description="The order's total the rate applies to; null for a CPA.")
    reason: str = Field(description="Why it is void, reversed or refused (fraud), in the reader's language.")
    reverses: int | None = Field(description="A reversal: the entry it takes back.")
    created_at: datetime
    approved_at: datetime | None
    paid_at: datetime | None


class TotalOut(Schema):
    status: EntryStatus
    currency: str
    amount: str
    count: int


class LedgerOut(Schema):
    entries: list[EntryOut]
    totals: list[TotalOut] = Field(description="Per status and currency, over every entry (not only this page).")
    count: int


class CostIn(Schema):
    """Money spent promoting the offer on a channel, in the offer's currency."""

    channel: str = Field(description="Lower-case letters, digits and '-', up to 40.")
    amount: Annotated[Any, Field(json_schema_extra={"type": "string", "examples": ["120.00"]})]
    note: str | None = None
    spent_on: Day = None


class CostOut(Schema):
    id: int
    offer: int
    channel: str
    amount: str
    currency: str
    note: str
    spent_on: date
    created_at: datetime


class ReportTotal(Schema):
    """The figures of a currency, or (a row) of one channel in one currency."""

    currency: str | None = Field(description="Null only for visits of links to a thread rather than an offer.")
    visits: int
    visitors: int
    signups: int
    claims: int
    paid_orders: int
    completed_orders: int
    revenue: str
    discounts: str
    commissions: str
    cost: str
    roi: str | None = Field(description="(revenue - cost) / cost, two decimals; null without a cost.")


class ReportRow(ReportTotal):
    channel: str


class ReportOut(Schema):
    rows: list[ReportRow]
    totals: list[ReportTotal]


class MonthOut(Schema):
    month: str
    currency: str
    amount: str = Field(description="The forum's CPS entries that stand, net of reversals.")
    approved: str = Field(description="Of which past the refund window (approved or paid).")


class OwedOut(Schema):
    member: str
    currency: str
    amount: str
    pending: str
    approved: str


class ForumReportOut(ReportOut):
    forum_commissions: list[MonthOut]
    rewards_owed: list[OwedOut]
