"""The live preview of an offer as buyers will see it, shown beside the offer
fields of the new-thread composer and of the add-offer page.

It builds a transient, never saved Offer from whatever the merchant typed so far
and asks the offer's kind for its prices (GroupBuy.tiers and price_for_quantity,
DutchAuction.schedule and price_after), so the preview and the real offer can
never disagree. Partial or invalid input gives a hint, never an error page.
"""

from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from community_commerce.conf import conf
from community_commerce.errors import InvalidInput
from community_commerce.forms import OfferForm
from community_commerce.kinds import KINDS
from community_commerce.models import Offer
from community_commerce.money import parse_currency

PREVIEW_ROWS = 30  # rows of a Dutch auction's price table before "... floor from"
_OPEN_END = timedelta(days=3650)  # the schedule of an auction whose end is not given yet


def _form_prefix(data) -> str | None:
    """The composer sends ``offer-`` prefixed fields; the add-offer page plain ones."""
    return "offer" if any(key.startswith("offer-") for key in data) else None


def _bound_form(data, prefix):
    """The offer form bound to what was typed; a field absent from ``data`` takes its
    initial value (the kind select shows its first choice), as a browser would send it."""
    values = {}
    for name, field in OfferForm.base_fields.items():
        initial = Offer.Kind.values[0] if name == "kind" else field.initial
        if initial is not None:
            values[f"{prefix}-{name}" if prefix else name] = initial
    values.update({key: data.get(key) for key in data})
    form = OfferForm(values, prefix=prefix)
    form.is_valid()  # fills cleaned_data with every field that is valid on its own
    return form


def _offset(delta: timedelta, seconds: bool) -> str:
    """Time since the start: "00:05", "01:40", "2 d 03:00" (with seconds when steps need them)."""
    total = int(delta.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if seconds else "")
    if days:
        return _("%(days)d d %(clock)s") % {"days": days, "clock": clock}
    return clock


def _group_buy(kind, offer):
    """The price for every total of units committed: one row per tier."""
    levels = kind.tiers(offer)
    starts = [1] + [quantity for quantity, _price in levels[1:]]
    rows = []
    for i, low in enumerate(starts):
        high = starts[i + 1] - 1 if i + 1 < len(starts) else None
        if offer.stock is not None and (high is None or high > offer.stock):
            high = offer.stock
        rows.append(
            {
                "low": low,
                "high": high,
                "price": kind.price_for_quantity(offer, low),
                "unreachable": offer.stock is not None and low > offer.stock,
            }
        )
    return {"tiers": rows, "min_quantity": offer.terms["min_quantity"]}


def _dutch_auction(kind, offer, *, dated, ends_known):
    """The price table from the start to the floor (or to the end, if that comes first)."""
    terms = offer.terms
    start, floor, step = (Decimal(terms[k]) for k in ("start_price", "floor_price", "step"))
    with_seconds = terms["step_seconds"] % 60 != 0
    rows = kind.schedule(offer, limit=PREVIEW_ROWS + 1)

    def row(at, price):
        return {"offset": _offset(at - offer.starts_at, with_seconds), "at": at if dated else None, "price": price}

    shown = [row(at, price) for at, price in rows[:PREVIEW_ROWS]]
    more = None
    if len(rows) > PREVIEW_ROWS:  # the table is cut: say where it goes from there
        shown = shown[: PREVIEW_ROWS - 1]
        steps = int(((start - floor) / step).to_integral_value(rounding=ROUND_CEILING))
        floor_in = steps * terms["step_seconds"]  # seconds; compared before it becomes a date
        if floor_in < (offer.ends_at - offer.starts_at).total_seconds() and kind.price_after(offer, steps) == floor:
            more = {"floor": True, **row(offer.starts_at + timedelta(seconds=floor_in), floor)}
        else:
            last = offer.ends_at - timedelta(microseconds=1)
            more = {"floor": False, **row(offer.ends_at, kind.unit_price(offer, last))}
    return {
        "schedule": shown,
        "more": more,
        "reaches_floor": more["floor"] if more else rows[-1][1] <= floor,
        "end_offset": _offset(offer.ends_at - offer.starts_at, with_seconds) if ends_known else None,
        "start_price": start,
        "floor_price": floor,
        "step": step,
        "step_seconds": terms["step_seconds"],
        "dated": dated,
        "with_seconds": with_seconds,
    }


def preview_context(data, *, prefix=None) -> dict:
    """What the preview shows for the typed ``data`` (a QueryDict or dict)."""
    form = _bound_form(data, prefix)
    try:
        return _preview(form)
    except OverflowError:  # moments past the year 9999: nothing to draw
        label = str(form.fields["starts_at"].label)
        return {"missing": [], "problems": [(label, _("too far in the future to show a preview"))]}


def _preview(form) -> dict:
    cleaned = form.cleaned_data
    kind_code = cleaned.get("kind")
    if kind_code not in KINDS:
        return {"missing": [str(form.fields["kind"].label)], "problems": []}
    kind = KINDS[kind_code]
    terms, missing, problems = {}, [], []
    try:
        currency = parse_currency(cleaned.get("currency"))
    except ValueError as exc:  # the prices' decimals depend on it: say so, check the rest
        currency = None
        problems.append((str(form.fields["currency"].label), str(exc)))
    for name in OfferForm.TERM_FIELDS[kind_code]:
        label = str(form.fields[name].label)
        if name in form.errors:
            problems += [(label, message) for message in form.errors[name]]
        elif cleaned.get(name) not in (None, "", []):
            value = cleaned[name]
            terms[name] = value if isinstance(value, list) else str(value)
    try:
        terms = kind.clean_terms(terms, currency=currency)
    except InvalidInput as exc:
        for key, messages in exc.fields.items():
            name = key.removeprefix("terms.").split(".")[0]
            label = str(form.fields[name].label) if name in form.fields else name
            if name not in terms and name in OfferForm.TERM_FIELDS[kind_code]:
                if label not in missing and not any(label == p[0] for p in problems):
                    missing.append(label)
            else:
                problems += [(label, str(message)) for message in messages]
    if missing or problems:
        return {"kind": kind_code, "missing": missing, "problems": problems}

    starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
    dated = starts is not None
    # Without a start, times are shown from "the start" only; an end without a start, or
    # before it, is left out (the form says what is wrong with it when it is sent).
    ends_known = dated and ends is not None and ends > starts
    starts = starts or timezone.now()
    ends = ends if ends_known else starts + _OPEN_END
    offer = Offer(
        kind=kind_code,
        title=cleaned.get("title") or "",
        currency=currency,
        starts_at=starts,
        ends_at=ends,
        stock=cleaned.get("stock"),
        per_user_limit=cleaned.get("per_user_limit"),
        terms=terms,
    )
    context = {
        "kind": kind_code,
        "offer": offer,
        "ready": True,
        "starts_at": starts if dated else None,
        "ends_at": ends if ends_known else None,
        "stock_missing": kind.needs_stock and offer.stock is None,
    }
    if kind_code == Offer.Kind.GROUP_BUY:
        context.update(_group_buy(kind, offer))
    elif kind_code == Offer.Kind.DUTCH_AUCTION:
        context.update(_dutch_auction(kind, offer, dated=dated, ends_known=ends_known))
    elif kind_code == Offer.Kind.TEAM_BUY:
        team_size, stock = terms["team_size"], offer.stock
        context.update(
            {
                "price": terms["unit_price"],
                "solo_price": terms["solo_price"],
                "team_size": team_size,
                "team_hours": terms["team_hours"],
                "saving": Decimal(terms["solo_price"]) - Decimal(terms["unit_price"]),
                "teams_possible": stock // team_size if stock else None,
            }
        )
    elif kind_code == Offer.Kind.LOWEST_UNIQUE:
        context.update({"terms": terms, "prize_cap": conf.GUESS_MAX_PRIZE, "stock_missing": False})
    else:
        context.update({"price": terms["unit_price"], "reservation_minutes": terms["reservation_minutes"]})
    return context


def preview_hint(context) -> str:
    """ "Fill in Unit price and Units needed to succeed to see the preview." """
    if not context.get("missing"):
        return ""
    return ngettext(
        "Fill in %(fields)s to see the preview.", "Fill in %(fields)s to see the preview.", len(context["missing"])
    ) % {"fields": get_text_list(context["missing"], _("and"))}


def preview_html(request, data, *, prefix=None) -> str:
    """The preview fragment, for pages that show it before any JavaScript runs."""
    context = preview_context(data, prefix=prefix)
    return render_to_string(
        "community_commerce/offer_preview.html",
        {"preview": context, "hint": preview_hint(context)},
        request=request,
    )


@login_required
@require_http_methods(["GET", "POST"])
def offer_preview(request):
    """htmx swaps this fragment in as the merchant types (2xx only, so always 200)."""
    data = request.POST if request.method == "POST" else request.GET
    context = preview_context(data, prefix=_form_prefix(data))
    return render(request, "community_commerce/offer_preview.html", {"preview": context, "hint": preview_hint(context)})
