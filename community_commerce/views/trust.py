"""Buyer protection on the order page: when a shipped order completes by itself (the buyer's
"I received it" is the pipeline's own "complete" button), the merchant's refund, the rating and the
merchant's reply, the way to a dispute; and a shop's page with its reputation and ratings.
Thin: each action calls one service and goes back where the member was."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community_commerce.adapters import get_adapter
from community_commerce.errors import CommerceError
from community_commerce.forms_trust import RatingForm, ReasonRequiredForm, ReplyForm
from community_commerce.models import Dispute, Merchant, Order, Rating
from community_commerce.services import disputes, limits, orders, ratings, receipt, reputation

S = Order.Status


def order_panel(user, order) -> dict:
    """What the order page shows of buyer protection to this reader (a few queries)."""
    role = orders.role_of(user, order)
    dispute = Dispute.objects.filter(order=order).first()
    rating = Rating.objects.filter(order=order).first()
    return {
        "role": role,
        "dispute": dispute,
        "may_dispute": dispute is None and disputes.may_open(user, order, timezone.now()),
        "completes_at": receipt.completes_at(order) if role in ("buyer", "merchant", "staff") else None,
        # a paid order by its merchant or staff; a completed one by staff (after completion)
        "may_refund": role in orders.ALLOWED_BY.get((order.status, S.REFUNDED), ()) and order.status != S.DISPUTED,
        "refund_form": ReasonRequiredForm(prefix="refund"),
        "rating": rating,
        "rating_shown": rating is not None and ratings.shown_to(user, rating),
        "may_rate": rating is None and ratings.may_rate(user, order),
        "rating_form": RatingForm(),
        "may_reply": rating is not None and role == "merchant" and rating.replied_at is None,
        "reply_form": ReplyForm(),
        "blind_until": ratings.blind_until(rating) if rating is not None else None,
    }


def act(request, call, *, done, back):
    """Run one service call: its message on success, the refusal's message otherwise (404 as
    a 404), then back to ``back`` (or a safe ``next``)."""
    try:
        call()
    except CommerceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect(back)


@login_required
@require_POST
def refund(request, pk):
    return act(
        request,
        lambda: orders.transition(
            order_id=pk, to_status=S.REFUNDED, actor=request.user, reason=request.POST.get("refund-reason", "")
        ),
        done=_("The order is refunded; the buyer is told."),
        back=orders.order_url_maker()(pk),
    )


@login_required
@require_POST
def rate(request, pk):
    return act(
        request,
        lambda: ratings.rate(
            order_id=pk, buyer=request.user, stars=request.POST.get("stars"), comment=request.POST.get("comment", "")
        ),
        done=_("Thank you for your rating. It is published once the merchant has replied, or in a few days."),
        back=orders.order_url_maker()(pk),
    )


@login_required
@require_POST
def reply(request, pk):
    rating = get_object_or_404(Rating.objects.only("order_id"), pk=pk)
    return act(
        request,
        lambda: ratings.reply(rating_id=pk, merchant_user=request.user, body=request.POST.get("body", "")),
        done=_("Your reply is published, with the rating."),
        back=orders.order_url_maker()(rating.order_id),
    )


@login_required
@require_POST
def hide(request, pk):
    rating = get_object_or_404(Rating.objects.only("merchant_id"), pk=pk)
    return act(
        request,
        lambda: ratings.hide(rating_id=pk, moderator=request.user, reason=request.POST.get("reason", "")),
        done=_("The comment is hidden; its stars still count."),
        back=merchant_url(rating.merchant_id),
    )


def merchant_url(merchant_id) -> str:
    return reverse("community_commerce:merchant", args=[merchant_id])


def merchant_page(request, pk):
    """A shop: its reputation, its promise and its published ratings with the replies."""
    merchant = get_object_or_404(Merchant.objects.exclude(status=Merchant.Status.PENDING), pk=pk)
    row = reputation.of(merchant)
    found = list(ratings.published(merchant)[:50])
    return render(
        request,
        "community_commerce/merchant_page.html",
        {
            "merchant": merchant,
            "reputation": row,
            "ratings": found,
            "is_moderator": get_adapter().is_moderator(request.user),
            "new_shop": limits.is_new(merchant, completed=row.completed_orders) if row else True,
        },
    )
