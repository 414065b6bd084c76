"""The reports (shared/API.md, "Commissions and reports"), aggregated by the database.

A report row is one channel in one currency: currencies are never added together. Each
figure is one GROUP BY query over the table that holds it (orders, claims, link visits
and visitors, sign-ups, costs), whatever the number of orders; the rows are then put side
by side by their (channel, currency) key.

- Revenue counts the orders that are paid, shipped or completed *now*, net of discounts
  (ARCHITECTURE.md rule 10): a cancelled, expired or refunded order counts nothing.
- Each order counts for its one channel, decided when it was made (its coupon's channel,
  else its link's, else ``forum``); link traffic counts for the link's channel.
- Commissions are the ledger's entries of those orders that stand (pending, approved,
  paid, and reversals, which are negative): void and fraud ones cost nothing. They are
  summed in the orders' pass, from ``Order.commissions_owed``, which services/commissions
  sets from the ledger in each ledger write's transaction (a second scan of as many entries
  would cost as much as the orders' own); :func:`orders_behind` lists each order's sum
  from the ledger itself, beside the report.
- ROI is ``(revenue - cost) / cost`` with two decimals, None without a cost.

A date range (``start`` <= t < ``end``) applies to when things happened: orders and claims
made, days visited, sign-ups, costs spent. A claim that became an order is counted with
its order (one pass over the orders), so only the commitments that never did are read
from the claims (through the index on their offer and status, cc_claim_offer_status).
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from community_commerce import errors
from community_commerce.adapters import get_adapter
from community_commerce.errors import InvalidInput, NotAllowed, NotFound
from community_commerce.models import (
    Claim,
    CommissionEntry,
    LinkVisitDay,
    LinkVisitor,
    Offer,
    Order,
    PromotionCost,
    Referral,
    ShareLink,
)
from community_commerce.models.ledger import STANDING
from community_commerce.money import parse_amount, round_amount
from community_commerce.services import stats
from community_commerce.services.coupons import clean_channel

PAID_STATUSES = (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.COMPLETED)
# Claims that never had an order (the others are counted with their order: same channel, one each).
NO_ORDER = (
    Claim.Status.ACTIVE,
    Claim.Status.WITHDRAWN,
    Claim.Status.RELEASED,
)  # entries that cost the merchant something
COUNTS = ("visits", "visitors", "signups", "claims", "paid_orders", "completed_orders")
AMOUNTS = ("revenue", "discounts", "commissions", "cost")
COLUMNS = ("channel", "currency", *COUNTS, *AMOUNTS, "roi")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(9998, 12, 31)


# --- input -----------------------------------------------------------------------------------------


def parse_day(value, field) -> date | None:
    """``YYYY-MM-DD`` or nothing; a 400 naming the field otherwise."""
    if value in (None, ""):
        return None
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError:
        day = None
    if day is None or len(str(value).strip()) != 10 or not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(fields={field: [_("Give a date as YYYY-MM-DD.")]})
    return day


def day_range(day_from=None, day_to=None) -> tuple[date | None, date | None]:
    first, last = parse_day(day_from, "from"), parse_day(day_to, "to")
    if first and last and first > last:
        raise InvalidInput(fields={"to": [_("The end comes before the start.")]})
    return first, last


def parse_month(value) -> tuple[date, date] | None:
    """``YYYY-MM`` as (its first day, the next month's first day)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        first = date.fromisoformat(f"{text}-01") if len(text) == 7 else None
    except ValueError:
        first = None
    if first is None or not FIRST_DAY <= first <= LAST_DAY:
        raise InvalidInput(fields={"month": [_("Give a month as YYYY-MM.")]})
    return first, (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def moment(day) -> datetime:
    """The start of ``day`` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _between(field, first, last, *, dates=False) -> Q:
    """``first <= field < the day after last`` (either end open)."""
    q = Q()
    if first:
        q &= Q(**{f"{field}__gte": first if dates else moment(first)})
    if last:
        q &= Q(
            **{f"{field}__lt" if not dates else f"{field}__lte": last if dates else moment(last + timedelta(days=1))}
        )
    return q


# --- the channel report ----------------------------------------------------------------------------


def channel_report(*, merchant=None, offer=None, first=None, last=None) -> dict:
    """``{"rows": [...], "totals": [...]}``: a row per channel and currency (see the module's
    docstring); ``merchant`` None is the whole forum (staff). Totals are per currency."""
    orders = Order.objects.filter(_between("created_at", first, last))
    claims = Claim.objects.filter(_between("created_at", first, last))
    costs = PromotionCost.objects.filter(_between("spent_on", first, last, dates=True))
    link_scope = Q()
    if merchant is not None:
        orders, costs = orders.filter(merchant=merchant), costs.filter(merchant=merchant)
        claims = claims.filter(offer__merchant=merchant)
        link_scope = Q(offer__merchant=merchant) | Q(offer__isnull=True, merchant=merchant)
    if offer is not None:
        orders, costs, claims = (q.filter(offer=offer) for q in (orders, costs, claims))
        link_scope = Q(offer=offer)
    links = ShareLink.objects.filter(link_scope).values("id")

    rows: dict[tuple, dict] = defaultdict(_empty_row)

    def add(queryset, channel, currency, **figures):
        for found in queryset.values(channel, currency).annotate(**figures).order_by():
            row = rows[(found[channel], found[currency])]
            for name in figures:
                row[name] += found[name] or 0

    # Orders: one pass, grouped by status too (no per-row FILTER); each order is also its claim's count.
    for found in (
        orders.values("channel", "currency", "status")
        .annotate(n=Count("id"), total=Sum("total"), discount=Sum("discount"), owed=Sum("commissions_owed"))
        .order_by()
    ):
        row = rows[(found["channel"], found["currency"])]
        row["claims"] += found["n"]
        row["commissions"] += found["owed"]  # its standing entries, whatever the order's status now
        if found["status"] in PAID_STATUSES:
            row["paid_orders"] += found["n"]
            row["revenue"] += found["total"]
            row["discounts"] += found["discount"]
            if found["status"] == Order.Status.COMPLETED:
                row["completed_orders"] += found["n"]
    # Claims that never became an order (group-buy commitments): the rest of the claims.
    add(claims.filter(status__in=NO_ORDER), "channel", "offer__currency", claims=Count("id"))
    add(costs, "channel", "currency", cost=Sum("amount"))
    in_links = Q(link_id__in=links)
    add(LinkVisitDay.objects.filter(in_links, _between("day", first, last, dates=True)), "link__channel",
        "link__offer__currency", visits=Sum("visits"))  # fmt: skip
    add(LinkVisitor.objects.filter(in_links, _between("day", first, last, dates=True)), "link__channel",
        "link__offer__currency", visitors=Count("visitor", distinct=True))  # fmt: skip
    add(Referral.objects.filter(in_links, _between("signed_up_at", first, last)), "channel", "link__offer__currency",
        signups=Count("id"))  # fmt: skip

    out = [_finish(channel, currency, row) for (channel, currency), row in rows.items()]
    out.sort(key=lambda r: (r["currency"] or "~", -r["revenue"], r["channel"]))
    return {"rows": out, "totals": _totals(out)}


def _empty_row() -> dict:
    return {**dict.fromkeys(COUNTS, 0), **dict.fromkeys(AMOUNTS, Decimal(0))}


def _finish(channel, currency, row) -> dict:
    if currency:
        for name in AMOUNTS:
            row[name] = round_amount(row[name], currency)
    return {"channel": channel, "currency": currency, **row, "roi": roi(row["revenue"], row["cost"])}


def roi(revenue, cost) -> Decimal | None:
    """``(revenue - cost) / cost``, two decimals half up; None without a cost."""
    if not cost:
        return None
    return ((Decimal(revenue) - Decimal(cost)) / Decimal(cost)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _totals(rows) -> list[dict]:
    """Per currency, the columns added up (visitors: per channel, so a visitor of two channels counts twice)."""
    totals: dict[str | None, dict] = {}
    for row in rows:
        total = totals.setdefault(row["currency"], _empty_row())
        for name in (*COUNTS, *AMOUNTS):
            total[name] += row[name]
    return [
        {"currency": currency, **total, "roi": roi(total["revenue"], total["cost"])}
        for currency, total in sorted(totals.items(), key=lambda item: item[0] or "~")
    ]


def orders_behind(*, merchant=None, offer=None, first=None, last=None, limit=50) -> list:
    """The newest orders a report counts or leaves out, each with its status, channel, total
    and the commissions of its entries that stand: what the figures are made of."""
    orders = Order.objects.filter(_between("created_at", first, last))
    if merchant is not None:
        orders = orders.filter(merchant=merchant)
    if offer is not None:
        orders = orders.filter(offer=offer)
    standing = Q(commissions__status__in=STANDING)
    return list(
        orders.select_related("offer", "merchant", "buyer")
        .annotate(
            owed=Sum("commissions__amount", filter=standing),
            forum_cps=Sum("commissions__amount", filter=standing & Q(commissions__beneficiary="forum")),
        )
        .order_by("-created_at", "-id")[:limit]
    )


# --- pictures: days, participation -----------------------------------------------------------------


def daily(*, merchant=None, offer=None, first=None, last=None) -> list[dict]:
    """Revenue and paid orders per day and currency (orders paid, shipped or completed now)."""
    orders = Order.objects.filter(_between("created_at", first, last), status__in=PAID_STATUSES)
    if merchant is not None:
        orders = orders.filter(merchant=merchant)
    if offer is not None:
        orders = orders.filter(offer=offer)
    found = (
        orders.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "currency")
        .annotate(orders=Count("id"), revenue=Sum("total"))
        .order_by("day", "currency")
    )
    return [{**row, "revenue": round_amount(row["revenue"], row["currency"])} for row in found]


def participation(offers, *, now=None) -> dict[int, dict]:
    """The seeds' measure of a promotion, per offer: its thread's views and unique viewers
    and the replies while the offer was on it (the forum adapter), shares (links made),
    link visits, claims, and the members who paid and completed. A fixed number of queries."""
    offers = list(offers)
    if not offers:
        return {}
    now = now or timezone.now()
    funnels = stats.offer_funnels(offers, now=now)
    ids = [o.pk for o in offers]
    shares = dict(
        ShareLink.objects.filter(offer_id__in=ids)
        .values("offer_id")
        .annotate(n=Count("id"))
        .values_list("offer_id", "n")
    )
    visits = dict(
        LinkVisitDay.objects.filter(link__offer_id__in=ids)
        .values("link__offer_id")
        .annotate(n=Sum("visits"))
        .values_list("link__offer_id", "n")
    )
    claims = dict(
        Claim.objects.filter(offer_id__in=ids).values("offer_id").annotate(n=Count("id")).values_list("offer_id", "n")
    )
    replies = get_adapter().count_replies({o.pk: (o.thread_id, o.created_at, o.closed_at or now) for o in offers})
    return {
        o.pk: {
            "views": funnels[o.pk]["views"],
            "viewers": funnels[o.pk]["viewers"],
            "replies": replies.get(o.pk),
            "shares": shares.get(o.pk, 0),
            "link_visits": visits.get(o.pk) or 0,
            "claims": claims.get(o.pk, 0),
            "paid": funnels[o.pk]["paid"],
            "completed": funnels[o.pk]["completed"],
        }
        for o in offers
    }


# --- the ledger, read ------------------------------------------------------------------------------


def ledger_totals(entries) -> list[dict]:
    """Amounts per status and currency of these entries, added by the database."""
    found = (
        entries.values("status", "currency")
        .annotate(amount=Sum("amount"), count=Count("id"))
        .order_by("currency", "status")
    )
    return [{**row, "amount": round_amount(row["amount"], row["currency"])} for row in found]


def member_rewards(member):
    return CommissionEntry.objects.filter(member=member).select_related("order").order_by("-id")


def merchant_commissions(merchant, *, month=None):
    entries = CommissionEntry.objects.filter(merchant=merchant).select_related("order", "member").order_by("-id")
    if month:
        entries = entries.filter(_between("created_at", month[0], month[1] - timedelta(days=1)))
    return entries


def forum_by_month(*, first=None, last=None) -> list[dict]:
    """What the forum earned per month and currency (its CPS entries that stand, net of reversals)."""
    entries = CommissionEntry.objects.filter(
        _between("created_at", first, last), beneficiary="forum", status__in=STANDING
    )
    found = (
        entries.annotate(month=TruncMonth("created_at", tzinfo=timezone.get_current_timezone()))
        .values("month", "currency")
        .annotate(earned=Sum("amount"), approved=Sum("amount", filter=Q(status__in=("approved", "paid", "reversed"))))
        .order_by("month", "currency")
    )
    return [
        {
            "month": row["month"].strftime("%Y-%m"),
            "currency": row["currency"],
            "amount": round_amount(row["earned"], row["currency"]),
            "approved": round_amount(row["approved"] or 0, row["currency"]),
        }
        for row in found
    ]


def rewards_owed() -> list[dict]:
    """Referral rewards not paid to members yet, per member and currency: pending and approved
    entries, less the reversals no payout has deducted."""
    owed = Q(status__in=("pending", "approved")) | Q(status="reversed", payout__isnull=True)
    found = (
        CommissionEntry.objects.filter(owed, beneficiary="member")
        .values("member_id", "member__username", "currency")
        .annotate(
            owed=Sum("amount"),
            pending=Sum("amount", filter=Q(status="pending")),
            approved=Sum("amount", filter=~Q(status="pending")),
        )
        .order_by("currency", "-owed")
    )
    return [
        {
            "member": row["member__username"],
            "currency": row["currency"],
            "amount": round_amount(row["owed"], row["currency"]),
            **{k: round_amount(row[k] or 0, row["currency"]) for k in ("pending", "approved")},
        }
        for row in found
    ]


# --- costs -----------------------------------------------------------------------------------------


def add_cost(*, user, offer_id, channel, amount, note="", spent_on=None, now=None) -> PromotionCost:
    """Money the offer's merchant spent promoting it on a channel (in the offer's currency)."""
    now = now or timezone.now()
    offer = Offer.objects.select_related("merchant").filter(pk=offer_id).first()
    if offer is None:
        raise NotFound(_("No such offer."))
    if offer.merchant.user_id != user.pk:
        raise NotAllowed(_("Only the merchant of this offer can enter its costs."), code=errors.NOT_MERCHANT)
    problems = {}
    try:
        channel = clean_channel(channel)
    except InvalidInput as exc:
        problems.update(exc.fields)
    try:
        amount = parse_amount(amount, offer.currency)
    except ValueError as exc:
        problems["amount"] = [str(exc)]
    note = " ".join(str(note or "").split())
    if len(note) > 200:
        problems["note"] = [_("At most 200 characters.")]
    try:
        day = parse_day(spent_on, "spent_on") or timezone.localdate(now)
    except InvalidInput as exc:
        problems.update(exc.fields)
    if problems:
        raise InvalidInput(fields=problems, code=errors.INVALID_CHANNEL if list(problems) == ["channel"] else None)
    return PromotionCost.objects.create(
        offer=offer, merchant=offer.merchant, channel=channel, amount=amount, currency=offer.currency, note=note,
        spent_on=day, created_by=user, created_at=now,
    )  # fmt: skip
