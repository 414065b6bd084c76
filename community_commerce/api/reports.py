"""JSON API for commissions and reports (shared/API.md, "Commissions and reports").
Thin: parse, call one service, serialize; the figures are the database's (services/reports.py)."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from community_commerce.api.pages import page_of
from community_commerce.api.report_schemas import CostIn, CostOut, Day, ForumReportOut, LedgerOut, Month, ReportOut
from community_commerce.api.types import BODY, WRITE, Id, Page, errors, per_page
from community_commerce.errors import NotAllowed, NotFound
from community_commerce.models import Offer
from community_commerce.money import fmt
from community_commerce.services import commissions, reports
from community_commerce.services.merchants import verified_merchant_of

router = Router(tags=["commissions and reports"])
FROM = Query(None, alias="from", description="YYYY-MM-DD, in the site's time zone.", examples=["2026-03-01"])
PerPage = per_page(100)


def entry_data(entry) -> dict:
    money = entry.currency
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "beneficiary": entry.beneficiary,
        "order": entry.order_id,
        "order_number": entry.order.number,
        "amount": fmt(entry.amount, money),
        "currency": money,
        "status": entry.status,
        "rate": f"{entry.rate:f}" if entry.rate is not None else None,
        "base": fmt(entry.base, money),
        "reason": commissions.reason_text(entry),
        "reverses": entry.reverses_id,
        "created_at": entry.created_at,
        "approved_at": entry.approved_at,
        "paid_at": entry.paid_at,
    }


def ledger_data(entries, page, per_page) -> dict:
    items, count = page_of(entries, page, per_page)
    totals = [{**t, "amount": fmt(t["amount"], t["currency"])} for t in reports.ledger_totals(entries.order_by())]
    return {"entries": [entry_data(e) for e in items], "totals": totals, "count": count}


def money_row(row) -> dict:
    currency = row["currency"]
    out = dict(row)
    for name in reports.AMOUNTS:
        out[name] = fmt(row[name], currency) if currency else f"{row[name]:f}"
    out["roi"] = f"{row['roi']:f}" if row["roi"] is not None else None
    return out


def report_data(report) -> dict:
    return {"rows": [money_row(r) for r in report["rows"]], "totals": [money_row(t) for t in report["totals"]]}


@router.get("/me/rewards", response={200: LedgerOut, **errors(400, 401)})
def my_rewards(request, page: Page = 1, per_page: PerPage = 50):
    """The member's referral rewards (CPS and CPA), newest first, with totals per status and currency."""
    return ledger_data(reports.member_rewards(request.auth), page, per_page)


@router.get("/merchant/commissions", response={200: LedgerOut, **errors(400, 401, 403)})
def merchant_commissions(request, month: Month = None, page: Page = 1, per_page: PerPage = 50):
    """What the shop owes on its orders: the forum's CPS and the members' rewards the forum
    passes on; ``month`` (YYYY-MM) keeps the entries recorded in that month."""
    merchant = verified_merchant_of(request.auth, refusal=_("Only verified merchants owe commissions."))
    return ledger_data(reports.merchant_commissions(merchant, month=reports.parse_month(month)), page, per_page)


@router.post("/offers/{offer_id}/costs", response={201: CostOut, **errors(400, WRITE, 404, BODY)})
def add_cost(request, offer_id: Id, payload: CostIn):
    """Its merchant: money spent promoting the offer on a channel (the report's cost and ROI)."""
    cost = reports.add_cost(user=request.auth, offer_id=offer_id, **payload.dict())
    return Status(
        201,
        {
            "id": cost.pk, "offer": cost.offer_id, "channel": cost.channel, "amount": fmt(cost.amount, cost.currency),
            "currency": cost.currency, "note": cost.note, "spent_on": cost.spent_on, "created_at": cost.created_at,
        },
    )  # fmt: skip


@router.get("/merchant/report", response={200: ReportOut, **errors(400, 401, 403, 404)})
def merchant_report(request, offer: Id | None = None, from_: str | None = FROM, to: Day = None):
    """A row per channel and currency of the shop's orders (or one offer's), within the dates given."""
    merchant = verified_merchant_of(request.auth, refusal=_("Only verified merchants have reports."))
    chosen = None
    if offer is not None:
        chosen = Offer.objects.filter(pk=offer, merchant=merchant).first()
        if chosen is None:
            raise NotFound(_("No such offer."))
    first, last = reports.day_range(from_, to)
    return report_data(reports.channel_report(merchant=merchant, offer=chosen, first=first, last=last))


@router.get("/reports/channels", response={200: ForumReportOut, **errors(400, 401, 403)})
def forum_report(request, from_: str | None = FROM, to: Day = None):
    """Staff: the channel report across all merchants, the forum's commissions per month and
    the referral rewards owed to members."""
    if not request.auth.is_staff:
        raise NotAllowed(_("Only staff see the forum's reports."))
    first, last = reports.day_range(from_, to)
    data = report_data(reports.channel_report(first=first, last=last))
    data["forum_commissions"] = [
        {**m, "amount": fmt(m["amount"], m["currency"]), "approved": fmt(m["approved"], m["currency"])}
        for m in reports.forum_by_month(first=first, last=last)
    ]
    data["rewards_owed"] = [
        {**o, **{k: fmt(o[k], o["currency"]) for k in ("amount", "pending", "approved")}}
        for o in reports.rewards_owed()
    ]
    return data
