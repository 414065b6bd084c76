"""A buyer's orders and claims, and one order's page with its pipeline actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community_commerce.errors import CommerceError
from community_commerce.models import Claim, Order
from community_commerce.payments import provider
from community_commerce.services import orders


@login_required
def my_orders(request):
    claims = (
        Claim.objects.filter(buyer=request.user)
        .select_related("offer", "offer__merchant", "order")
        .order_by("-id")[:100]
    )
    return render(request, "community_commerce/my_orders.html", {"claims": claims})


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
    context = {
        "order": order,
        "events": order.events.select_related("actor"),
        "actions": actions,
        "instructions": provider().instructions(order) if order.status == Order.Status.PENDING_PAYMENT else "",
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
