"""A buyer's orders and claims, and one order's page with its pipeline actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community_commerce.errors import CommerceError
from community_commerce.models import Claim, Offer, Order
from community_commerce.payments import provider
from community_commerce.services import orders
from community_commerce.views import trust


def deal_group(claim) -> str:
    """Where a claim belongs on "My deals": what, if anything, the buyer has to do or wait for."""
    order = getattr(claim, "order", None)
    if order is not None and order.status == Order.Status.PENDING_PAYMENT:
        return "pending"
    if claim.status == Claim.Status.ACTIVE:
        return "active"
    if order is not None and order.status in (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.DISPUTED):
        return "underway"
    if order is not None and order.status == Order.Status.COMPLETED:
        return "completed"
    return "ended"  # withdrawn, released, expired, cancelled, refunded


@login_required
def my_orders(request):
    """My deals: the member's claims grouped by what they wait for, newest first
    in each group (one query)."""
    claims = (
        Claim.objects.filter(buyer=request.user)
        .select_related("offer", "offer__merchant", "order")
        .order_by("-id")[:300]
    )
    groups = {
        "pending": {
            "title": _("Waiting for your payment"),
            "help": _("Pay before the deadline, or the reservation expires and the units go back on sale."),
        },
        "active": {
            "title": _("Commitments"),
            "help": _("Group-buys you joined. An order is made for you if the group-buy succeeds."),
        },
        "underway": {"title": _("Paid or on the way"), "help": _("Disputed orders wait here until staff settle them.")},
        "completed": {"title": _("Completed"), "help": ""},
        "ended": {
            "title": _("Ended"),
            "help": _("Withdrawn, released, expired, cancelled or refunded: nothing to pay."),
        },
    }
    for group in groups.values():
        group["claims"] = []
    claims = list(claims)
    Offer.load_urls(claim.offer for claim in claims)
    for claim in claims:
        groups[deal_group(claim)]["claims"].append(claim)
    sections = [{"key": key, **group} for key, group in groups.items() if group["claims"]]
    return render(request, "community_commerce/my_orders.html", {"sections": sections, "count": len(claims)})


@login_required
def order_detail(request, pk):
    try:
        order = orders.get_for(request.user, pk)
    except CommerceError:
        raise Http404 from None
    role = orders.role_of(request.user, order)
    actions = [
        (name, status)
        for name, status in orders.ACTIONS.items()
        if status in orders.PIPELINE[order.status] and role in orders.ALLOWED_BY[(order.status, status)]
    ]
    Offer.load_urls([order.offer])
    context = {
        "order": order,
        "events": order.events.select_related("actor"),
        "actions": actions,
        "instructions": provider().instructions(order) if order.status == Order.Status.PENDING_PAYMENT else "",
        "trust": trust.order_panel(request.user, order),  # receipt, refund, dispute, rating
    }
    return render(request, "community_commerce/order_detail.html", context)


@login_required
@require_POST
def order_action(request, pk, action):
    if action not in orders.ACTIONS:
        raise Http404
    try:
        orders.transition(
            order_id=pk, to_status=orders.ACTIONS[action], actor=request.user, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("Order updated."))
    except CommerceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("community_commerce:order", pk)
