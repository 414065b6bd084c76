"""The merchant's dashboard and the application to sell."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community_commerce.errors import CommerceError
from community_commerce.forms import MerchantApplicationForm
from community_commerce.models import Merchant, Offer, Order, ShareLink
from community_commerce.services import links, merchants, orders, stats
from community_commerce.services.offer_state import display_status
from community_commerce.views.reports import merchant_context

BULK_ACTIONS = {"pay": Order.Status.PAID, "ship": Order.Status.SHIPPED}
BULK_LIMIT = 500


@login_required
def merchant_dashboard(request):
    """Offers with their numbers and funnel, and the orders to fulfil. A fixed
    number of queries however many offers and orders (services/stats.py)."""
    merchant = Merchant.objects.filter(user=request.user).first()
    if merchant is None:
        return redirect("community_commerce:merchant_apply")
    if request.method == "POST":
        return _bulk_action(request, merchant)
    now = timezone.now()
    offers = list(Offer.objects.filter(merchant=merchant).order_by("-id")[:50])
    funnels = stats.offer_funnels(offers, now=now)
    rows = []
    for offer in offers:
        offer.status = display_status(offer, now)  # scheduled -> live at its start, before the sweeper runs
        rows.append({"offer": offer, "funnel": funnels[offer.pk], "steps": _funnel_steps(funnels[offer.pk])})
    open_orders = Order.objects.filter(merchant=merchant, status__in=(Order.Status.PENDING_PAYMENT, Order.Status.PAID))
    to_fulfil = list(open_orders.select_related("buyer", "offer").order_by("id")[:200])
    Offer.load_urls([*offers, *(order.offer for order in to_fulfil)])
    waiting = dict(open_orders.values("status").annotate(n=Count("id")).values_list("status", "n"))
    return render(
        request,
        "community_commerce/merchant_dashboard.html",
        {
            "merchant": merchant,
            "offers": offers,
            "rows": rows,
            "orders": to_fulfil,
            "revenue": stats.merchant_revenue(merchant),
            "to_mark_paid": waiting.get(Order.Status.PENDING_PAYMENT, 0),
            "to_ship": waiting.get(Order.Status.PAID, 0),
            "live_offers": sum(1 for o in offers if o.status == Offer.Status.LIVE),
            "campaign_links": _campaign_links(merchant),
            **merchant_context(request, merchant, offers),
        },
    )


def _campaign_links(merchant) -> list[dict]:
    """The merchant's campaign links with what each brought (a fixed number of queries)."""
    campaign = list(ShareLink.objects.filter(merchant=merchant).select_related("offer").order_by("-id")[:50])
    figures = links.link_figures(campaign)
    return [{"link": link, **figures[link.pk]} for link in campaign]


def _funnel_steps(funnel) -> list[dict]:
    """The funnel's steps with a bar length relative to its widest step."""
    steps = [
        (_("Thread views"), funnel["views"]),
        (_("Unique viewers"), funnel["viewers"]),
        (_("Claimed"), funnel["claimed"]),
        (_("Paid"), funnel["paid"]),
        (_("Completed"), funnel["completed"]),
    ]
    widest = max(n for _label, n in steps) or 1
    return [{"label": label, "n": n, "share": round(100 * n / widest)} for label, n in steps]


def _bulk_action(request, merchant):
    """The bulk "Mark paid" / "Mark shipped" on the orders ticked in the table."""
    action = request.POST.get("action", "")
    raw = request.POST.getlist("order")
    ids = [int(x) for x in raw if x.isascii() and x.isdigit() and len(x) < 19][:BULK_LIMIT]
    if action not in BULK_ACTIONS:
        messages.error(request, _("Choose what to do with the orders."))
    elif not ids:
        messages.error(request, _("Tick the orders first."))
    else:
        result = orders.transition_many(
            order_ids=ids, to_status=BULK_ACTIONS[action], actor=request.user, merchant=merchant
        )
        text = bulk_message(action, result)
        (messages.success if result["changed"] else messages.warning)(request, text)
    return redirect("community_commerce:merchant_dashboard")


def bulk_message(action, result) -> str:
    """What a bulk action did, in a sentence: "3 marked paid, 1 skipped (already paid)."."""
    done = len(result["changed"])
    if action == "pay":
        text = ngettext("%(n)d marked paid", "%(n)d marked paid", done) % {"n": done}
        already = {"already", Order.Status.PAID, Order.Status.SHIPPED, Order.Status.COMPLETED}
        already_text = _("already paid")
    else:
        text = ngettext("%(n)d marked shipped", "%(n)d marked shipped", done) % {"n": done}
        already = {"already", Order.Status.SHIPPED, Order.Status.COMPLETED}
        already_text = _("already shipped")
    words = {
        Order.Status.PENDING_PAYMENT: _("not paid yet"),
        Order.Status.EXPIRED: _("expired"),
        Order.Status.CANCELLED: _("cancelled"),
        "not_found": _("not found"),
        "not_allowed": _("not allowed"),
    }
    reasons: dict[str, int] = {}
    for reason in result["skipped"].values():
        word = already_text if reason in already else words.get(reason, _("not possible"))
        reasons[word] = reasons.get(word, 0) + 1
    skipped = sum(reasons.values())
    if not skipped:
        return text + "."
    # One reason: "(already paid)"; several: "(1 already paid, 1 expired)".
    why = next(iter(reasons)) if len(reasons) == 1 else ", ".join(f"{n} {word}" for word, n in reasons.items())
    return ngettext("%(done)s, %(n)d skipped (%(why)s).", "%(done)s, %(n)d skipped (%(why)s).", skipped) % {
        "done": text,
        "n": skipped,
        "why": why,
    }


@login_required
def merchant_apply(request):
    merchant = Merchant.objects.filter(user=request.user).first()
    form = MerchantApplicationForm(request.POST if request.method == "POST" else None, instance=merchant)
    if request.method == "POST" and form.is_valid():
        try:
            merchants.apply(user=request.user, **form.cleaned_data)
        except CommerceError as exc:
            for field, errs in exc.fields.items():
                for err in errs:
                    form.add_error(field if field in form.fields else None, err)
        else:
            messages.success(request, _("Thank you. Staff will review your shop soon."))
            return redirect("community_commerce:merchant_apply")
    return render(request, "community_commerce/merchant_apply.html", {"form": form, "merchant": merchant})
