"""Dispute pages: the buyer opens one from the order's page; the buyer, the merchant and
staff (the forum's moderators too) write on its page; staff who are no party settle it.
Thin: each view calls one service of services/disputes.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community_commerce.errors import CommerceError
from community_commerce.forms_trust import DisputeForm, MessageForm, ResolveForm
from community_commerce.models import Dispute, DisputeMessage
from community_commerce.services import disputes, orders
from community_commerce.views.trust import act

PER_PAGE = 30


def _or_404(call):
    try:
        return call()
    except CommerceError as exc:
        if exc.status == 404:
            raise Http404 from None
        raise


@login_required
def dispute_new(request, pk):
    """The buyer's form; a refusal (paid? disputed already? too late?) is shown with the form."""
    order = _or_404(lambda: orders.get_for(request.user, pk))
    form = DisputeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            dispute = disputes.open_dispute(order_id=order.pk, buyer=request.user, **form.cleaned_data)
        except CommerceError as exc:
            if exc.status == 404:
                raise Http404 from None
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            if not exc.fields:
                form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, _("Your dispute is open. The merchant and the forum's staff are told."))
            return redirect(disputes.dispute_url(dispute))
    elif request.method == "POST":
        status = 400
    return render(request, "community_commerce/dispute_new.html", {"order": order, "form": form}, status=status)


@login_required
def dispute_detail(request, pk):
    dispute = _or_404(lambda: disputes.get_for(request.user, pk))
    side = disputes.side_of(request.user, dispute)
    return render(
        request,
        "community_commerce/dispute.html",
        {
            "dispute": dispute,
            "order": dispute.order,
            "side": side,
            "thread": dispute.messages.select_related("author"),
            "message_form": MessageForm(),
            "resolve_form": ResolveForm() if side == DisputeMessage.Side.STAFF and dispute.is_open else None,
        },
    )


@login_required
@require_POST
def dispute_message(request, pk):
    return act(
        request,
        lambda: disputes.post_message(dispute_id=pk, author=request.user, body=request.POST.get("body", "")),
        done=_("Your message is posted; the others are told."),
        back=reverse("community_commerce:dispute", args=[pk]) + "#messages",
    )


@login_required
@require_POST
def dispute_resolve(request, pk):
    return act(
        request,
        lambda: disputes.resolve(
            dispute_id=pk,
            actor=request.user,
            outcome=request.POST.get("outcome", ""),
            reason=request.POST.get("reason", ""),
        ),
        done=_("The dispute is settled; the buyer and the merchant are told."),
        back=reverse("community_commerce:dispute", args=[pk]),
    )


@login_required
def dispute_list(request):
    """Staff and moderators: every dispute, open ones first; members: those of their orders and shop."""
    found = Dispute.objects.select_related("order", "order__merchant", "order__buyer").order_by("status", "-id")
    handler = disputes.handles(request.user)
    if not handler:
        found = found.filter(Q(order__buyer=request.user) | Q(order__merchant__user=request.user))
    status = request.GET.get("status", "")
    if status in Dispute.Status.values:
        found = found.filter(status=status)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "community_commerce/dispute_list.html",
        {"page": page, "handler": handler, "status": status, "statuses": Dispute.Status.choices},
    )
