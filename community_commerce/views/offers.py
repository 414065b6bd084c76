"""Offer pages: post an offer, claim, withdraw, remind, cancel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community_commerce.adapters import get_adapter
from community_commerce.errors import CommerceError
from community_commerce.forms import ClaimForm, OfferForm, ReasonForm
from community_commerce.models import Claim, Offer
from community_commerce.services import claim as claim_service
from community_commerce.services import lifecycle, links, merchants, post_offer, withdraw
from community_commerce.services.reminders import remind
from community_commerce.views.composer import preview_html


def _ref(request) -> dict:
    """The share link this browser came through (the cookie /r/<code> set), for the claim's channel."""
    found = links.remembered(request)
    return {"ref": found[0], "ref_at": found[1]} if found else {}


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
        thread = get_adapter().get_thread(int(thread_id))
    except CommerceError:
        raise Http404 from None
    try:
        merchants.verified_merchant_of(request.user)
        get_adapter().check_may_post_offer(request.user, thread)
    except CommerceError as exc:
        return render(request, "community_commerce/not_allowed.html", {"message": exc.message}, status=exc.status)
    form = OfferForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                offer = post_offer.create_offer(user=request.user, thread_id=thread.id, **form.service_fields())
            except CommerceError as exc:
                form.add_service_errors(exc.fields) if exc.fields else form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Your offer is posted."))
                return redirect(offer.get_absolute_url())
        else:
            status = 400
    preview = preview_html(request, request.POST) if request.method == "POST" else ""
    return render(
        request,
        "community_commerce/offer_form.html",
        {"form": form, "thread": thread, "preview": preview, "forum_index_url": get_adapter().index_url()},
        status=status,
    )


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
            coupon=request.POST.get("coupon", "").strip()[:100] or None,
            **_ref(request),
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
