"""The merchant's dashboard and the application to sell."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from community_commerce.errors import CommerceError
from community_commerce.forms import MerchantApplicationForm
from community_commerce.models import Merchant, Offer, Order
from community_commerce.services import merchants
from community_commerce.services.offer_state import display_status


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
