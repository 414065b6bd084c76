"""The plugin's pages. Thin: parse the form, call one service, show the result."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community_commerce import forum_adapter
from community_commerce.errors import CommerceError
from community_commerce.forms import ClaimForm, MerchantApplicationForm, OfferForm, ReasonForm
from community_commerce.models import Claim, Merchant, Offer, Order
from community_commerce.payments import provider
from community_commerce.services import claim as claim_service
from community_commerce.services import lifecycle, merchants, orders, post_offer, withdraw
from community_commerce.services.offer_state import display_status
from community_commerce.services.reminders import remind


def _back_to_offer(offer_id):
    offer = get_object_or_404(Offer, pk=offer_id)
    return redirect(offer.get_absolute_url())


@login_required
def new_offer(request):
    thread_id = request.GET.get("thread") or request.POST.get("thread")
    thread_id = str(thread_id or "")
    if not (thread_id.isascii() and thread_id.isdigit() and len(thread_id) < 19):
        raise Http404
    try:
        thread = forum_adapter.get_thread(int(thread_id))
    except CommerceError:
        raise Http404 from None
    try:
        merchants.verified_merchant_of(request.user)
        forum_adapter.check_may_post_offer(request.user, thread)
    except CommerceError as exc:
        return render(request, "community_commerce/not_allowed.html", {"message": exc.message}, status=exc.status)
    form = OfferForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                offer = post_offer.create_offer(user=request.user, thread_id=thread.pk, **form.service_fields())
            except CommerceError as exc:
                form.add_service_errors(exc.fields) if exc.fields else form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Your offer is posted."))
                return redirect(offer.get_absolute_url())
        else:
            status = 400
    return render(request, "community_commerce/offer_form.html", {"form": form, "thread": thread}, status=status)


@login_required
@require_POST
def claim_offer(request, pk):
    form = ClaimForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("quantity", [_("Give a valid quantity.")])))
        return _back_to_offer(pk)
    try:
        claim, _created = claim_service.claim(
            offer_id=pk,
            buyer=request.user,
            quantity=form.cleaned_data["quantity"],
            idempotency_key=request.POST.get("idempotency_key") or None,
        )
    except CommerceError as exc:
        messages.error(request, exc.message)
        return _back_to_offer(pk)
    if hasattr(claim, "order"):
        messages.success(
            request, _("Reserved. Pay to complete your order %(number)s.") % {"number": claim.order.number}
        )
        return redirect("community_commerce:order", claim.order.pk)
    messages.success(request, _("You joined. You can withdraw until the deadline."))
    return _back_to_offer(pk)


@login_required
@require_POST
def withdraw_claim(request, pk):
    claim = get_object_or_404(Claim, pk=pk, buyer=request.user)
    try:
        withdraw.withdraw(claim_id=claim.pk, buyer=request.user)
        messages.success(request, _("You withdrew from this group-buy."))
    except CommerceError as exc:
        messages.error(request, exc.message)
    return _back_to_offer(claim.offer_id)


@login_required
@require_POST
def remind_me(request, pk):
    try:
        remind(offer_id=pk, user=request.user)
        messages.success(request, _("We will tell you when it opens."))
    except CommerceError as exc:
        messages.error(request, exc.message)
    return _back_to_offer(pk)


@login_required
@require_POST
def cancel_offer(request, pk):
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise CommerceError(_("Tell the buyers why you cancel."))
        lifecycle.cancel_offer(offer_id=pk, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("The offer is cancelled and the buyers are told."))
    except CommerceError as exc:
        messages.error(request, exc.message)
    return _back_to_offer(pk)


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


@login_required
def merchant_dashboard(request):
    merchant = Merchant.objects.filter(user=request.user).first()
    if merchant is None:
        return redirect("community_commerce:merchant_apply")
    now = timezone.now()
    offers = list(Offer.objects.filter(merchant=merchant).order_by("-id")[:50])
    for offer in offers:
        offer.status = display_status(offer, now)  # scheduled -> live at its start, before the sweeper runs
    to_fulfil = (
        Order.objects.filter(merchant=merchant)
        .filter(Q(status=Order.Status.PENDING_PAYMENT) | Q(status=Order.Status.PAID))
        .select_related("buyer", "offer")
        .order_by("id")[:200]
    )
    return render(
        request,
        "community_commerce/merchant_dashboard.html",
        {"merchant": merchant, "offers": offers, "orders": to_fulfil},
    )


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
