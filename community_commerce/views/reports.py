"""Pages of the commission programme and the reports: a member's Rewards, the merchant
dashboard's report section (channels, days, participation, commissions owed, costs), the
staff report, and every report as CSV. Thin: the figures come from services/reports.py;
this module only arranges them into tables and charts (Chart.js, each with its table)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community_commerce.conf import conf
from community_commerce.csv_export import csv_response
from community_commerce.errors import CommerceError, InvalidInput
from community_commerce.forms import CostForm
from community_commerce.models import Merchant, Offer
from community_commerce.money import round_amount
from community_commerce.services import commissions, reports

CHART_DAYS = 30
LEDGER_ROWS = 100


# --- what the pages share ----------------------------------------------------------------------------


def _filters(request, merchant=None) -> dict:
    """The report's offer and dates from the query string; a wrong value is said on the page
    and the report shown without it."""
    found = {"offer": None, "first": None, "last": None, "problems": []}
    raw_offer = request.GET.get("offer", "")
    if merchant is not None and raw_offer.isascii() and raw_offer.isdigit() and len(raw_offer) < 19:
        found["offer"] = Offer.objects.filter(pk=int(raw_offer), merchant=merchant).first()
    try:
        found["first"], found["last"] = reports.day_range(request.GET.get("from"), request.GET.get("to"))
    except InvalidInput as exc:
        found["problems"] = [m for msgs in exc.fields.values() for m in msgs]
    return found


def _query(filters) -> str:
    params = {
        "offer": filters["offer"].pk if filters["offer"] else None,
        "from": filters["first"],
        "to": filters["last"],
    }
    return urlencode({k: v for k, v in params.items() if v})


def _payload(chart) -> dict:
    """What reports.js hands to Chart.js."""
    chart["data_id"] = f"{chart['id']}-data"
    chart["data"] = {
        "type": chart["type"],
        "horizontal": chart.get("horizontal", False),
        "labels": chart["labels"],
        "datasets": chart["datasets"],
    }
    return chart


def _number(value) -> float:
    """A figure for the picture only (the tables and CSV keep the exact Decimal)."""
    return float(value or 0)


def channel_charts(report) -> list[dict]:
    """Revenue by channel: one chart per currency (amounts of two currencies never share an axis)."""
    charts = []
    for total in report["totals"]:
        currency = total["currency"]
        if not currency:
            continue
        rows = [r for r in report["rows"] if r["currency"] == currency]
        charts.append(_payload({
            "id": f"chart-channels-{currency}",
            "type": "bar",
            "title": _("Revenue by channel (%(currency)s)") % {"currency": currency},
            "labels": [r["channel"] for r in rows],
            "datasets": [{"label": _("Revenue"), "data": [_number(r["revenue"]) for r in rows]}],
            "table": "report-table",
        }))  # fmt: skip
    return charts


def daily_charts(days) -> list[dict]:
    """Revenue (bars) and paid orders (line) per day, one chart per currency."""
    charts = []
    for currency in sorted({d["currency"] for d in days}):
        rows = [d for d in days if d["currency"] == currency]
        charts.append(_payload({
            "id": f"chart-days-{currency}",
            "type": "bar",
            "title": _("Revenue and orders per day (%(currency)s)") % {"currency": currency},
            "labels": [d["day"].isoformat() for d in rows],
            "datasets": [
                {"label": _("Revenue"), "data": [_number(d["revenue"]) for d in rows], "yAxisID": "y"},
                {"label": _("Paid orders"), "data": [d["orders"] for d in rows], "type": "line", "yAxisID": "y1"},
            ],
            "rows": rows,
            "currency": currency,
        }))  # fmt: skip
    return charts


def funnel_steps(funnel) -> list[tuple[str, int | None]]:
    return [
        (_("Thread views"), funnel["views"]),
        (_("Unique viewers"), funnel["viewers"]),
        (_("Replies during the offer"), funnel["replies"]),
        (_("Shares (links made)"), funnel["shares"]),
        (_("Link visits"), funnel["link_visits"]),
        (_("Claims"), funnel["claims"]),
        (_("Paid"), funnel["paid"]),
        (_("Completed"), funnel["completed"]),
    ]


def funnel_chart(offer, funnel) -> dict:
    steps = funnel_steps(funnel)
    return _payload(
        {
            "id": f"chart-funnel-{offer.pk}",
            "type": "bar",
            "horizontal": True,
            "title": _("Participation: %(title)s") % {"title": offer.title},
            "labels": [label for label, _n in steps],
            "datasets": [{"label": _("Members and visits"), "data": [n or 0 for _label, n in steps]}],
            "steps": steps,
        }
    )


def with_reasons(entries) -> list:
    """Entries with the reason each is void, reversed or refused, in the reader's language."""
    entries = list(entries)
    for entry in entries:
        entry.reason_shown = commissions.reason_text(entry)
    return entries


# --- the merchant dashboard's report section ------------------------------------------------------------


def merchant_context(request, merchant, offers) -> dict:
    """What merchant_dashboard.html shows below the orders: a fixed number of queries."""
    filters = _filters(request, merchant)
    offer, first, last = filters["offer"], filters["first"], filters["last"]
    report = reports.channel_report(merchant=merchant, offer=offer, first=first, last=last)
    today = timezone.localdate()
    days = reports.daily(
        merchant=merchant, offer=offer, first=first or (last or today) - timedelta(days=CHART_DAYS - 1), last=last
    )
    featured = offer or (offers[0] if offers else None)
    funnel = reports.participation([featured])[featured.pk] if featured else None
    owed = reports.merchant_commissions(merchant)
    query = _query(filters)
    return {
        "report": report,
        "report_filters": filters,
        "report_query": query,
        "report_offers": offers,
        "report_orders": reports.orders_behind(merchant=merchant, offer=offer, first=first, last=last),
        "channel_charts": channel_charts(report),
        "daily_charts": daily_charts(days),
        "featured_offer": featured,
        "funnel_chart": funnel_chart(featured, funnel) if featured else None,
        "commission_entries": with_reasons(owed[:LEDGER_ROWS]),
        "commission_totals": reports.ledger_totals(owed.order_by()),
        "cost_form": CostForm(offers=offers, initial={"offer": featured.pk if featured else None}),
    }


@login_required
def merchant_report_csv(request):
    merchant = Merchant.objects.filter(user=request.user).first()
    if merchant is None:
        return redirect("community_commerce:merchant_apply")
    filters = _filters(request, merchant)
    report = reports.channel_report(
        merchant=merchant, offer=filters["offer"], first=filters["first"], last=filters["last"]
    )
    return _report_csv(report, f"report-{merchant.pk}-{timezone.localdate().isoformat()}.csv")


def _report_csv(report, filename):
    header = [
        _("Channel"), _("Currency"), _("Visits"), _("Unique visitors"), _("Sign-ups"), _("Claims"), _("Paid orders"),
        _("Completed orders"), _("Revenue"), _("Discounts"), _("Commissions"), _("Cost"), _("ROI"),
    ]  # fmt: skip
    rows = [[row[c] for c in reports.COLUMNS] for row in report["rows"]]
    rows += [[_("Total"), *[t[c] for c in reports.COLUMNS[1:]]] for t in report["totals"]]
    return csv_response(filename, header, rows)


def _exact(amount, currency):
    return None if amount is None else round_amount(amount, currency)


def _ledger_csv(entries, filename, *, with_beneficiary):
    header = [_("Date"), _("Order"), _("Kind"), _("Beneficiary"), _("Status"), _("Rate (%)"), _("Order total"),
              _("Amount"), _("Currency"), _("Reason")]  # fmt: skip
    if not with_beneficiary:
        header.pop(3)
    rows = []
    for e in entries:
        row = [timezone.localtime(e.created_at), e.order.number, e.get_kind_display(), e.get_beneficiary_display(),
               e.get_status_display(), e.rate, _exact(e.base, e.currency), _exact(e.amount, e.currency), e.currency,
               commissions.reason_text(e)]  # fmt: skip
        if not with_beneficiary:
            row.pop(3)
        rows.append(row)
    return csv_response(filename, header, rows)


@login_required
def merchant_commissions_csv(request):
    merchant = Merchant.objects.filter(user=request.user).first()
    if merchant is None:
        return redirect("community_commerce:merchant_apply")
    try:
        month = reports.parse_month(request.GET.get("month"))
    except InvalidInput:
        month = None
    entries = reports.merchant_commissions(merchant, month=month)
    return _ledger_csv(entries, f"commissions-{merchant.pk}.csv", with_beneficiary=True)


@login_required
@require_POST
def add_cost(request):
    """The dashboard's cost form: money spent promoting an offer on a channel."""
    merchant = Merchant.objects.filter(user=request.user).first()
    offers = list(Offer.objects.filter(merchant=merchant).order_by("-id")[:100]) if merchant else []
    form = CostForm(request.POST, offers=offers)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errs) for errs in form.errors.values()))
    else:
        try:
            reports.add_cost(user=request.user, **form.service_fields())
        except CommerceError as exc:
            problems = [" ".join(str(m) for m in msgs) for msgs in exc.fields.values()] if exc.fields else [exc.message]
            messages.error(request, " ".join(problems))
        else:
            messages.success(request, _("Cost entered: it counts in the report's ROI."))
    return redirect(reverse("community_commerce:merchant_dashboard") + "#report-heading")


# --- a member's rewards ------------------------------------------------------------------------------------


@login_required
def rewards(request):
    entries = reports.member_rewards(request.user)
    return render(
        request,
        "community_commerce/rewards.html",
        {
            "entries": with_reasons(entries[:200]),
            "totals": reports.ledger_totals(entries.order_by()),
            "rates": commissions.programme(),
            "refund_days": conf.REFUND_DAYS,
        },
    )


@login_required
def rewards_csv(request):
    entries = reports.member_rewards(request.user)
    return _ledger_csv(entries, "rewards.csv", with_beneficiary=False)


# --- staff ---------------------------------------------------------------------------------------------------


@staff_member_required
def staff_report(request):
    filters = _filters(request)
    first, last = filters["first"], filters["last"]
    report = reports.channel_report(first=first, last=last)
    today = timezone.localdate()
    days = reports.daily(first=first or (last or today) - timedelta(days=CHART_DAYS - 1), last=last)
    offers = list(Offer.objects.order_by("-id")[:1])
    funnel = reports.participation(offers)
    return render(
        request,
        "community_commerce/staff_report.html",
        {
            "report": report,
            "report_filters": filters,
            "report_query": _query(filters),
            "report_orders": reports.orders_behind(first=first, last=last),
            "channel_charts": channel_charts(report),
            "daily_charts": daily_charts(days),
            "featured_offer": offers[0] if offers else None,
            "funnel_chart": funnel_chart(offers[0], funnel[offers[0].pk]) if offers else None,
            "months": reports.forum_by_month(first=first, last=last),
            "owed": reports.rewards_owed(),
        },
    )


@staff_member_required
def staff_report_csv(request):
    filters = _filters(request)
    report = reports.channel_report(first=filters["first"], last=filters["last"])
    return _report_csv(report, f"forum-channels-{timezone.localdate().isoformat()}.csv")


@staff_member_required
def staff_months_csv(request):
    """The forum's commissions per month, as the staff page's table shows them."""
    filters = _filters(request)
    months = reports.forum_by_month(first=filters["first"], last=filters["last"])
    header = [_("Month"), _("Currency"), _("Earned"), _("Of which approved")]
    rows = [[m["month"], m["currency"], m["amount"], m["approved"]] for m in months]
    return csv_response(f"forum-commissions-by-month-{timezone.localdate().isoformat()}.csv", header, rows)


@staff_member_required
def staff_owed_csv(request):
    """Referral rewards owed to members, as the staff page's table shows them."""
    header = [_("Member"), _("Currency"), _("Owed"), _("Pending"), _("Approved")]
    rows = [[o["member"], o["currency"], o["amount"], o["pending"], o["approved"]] for o in reports.rewards_owed()]
    return csv_response(f"rewards-owed-{timezone.localdate().isoformat()}.csv", header, rows)
