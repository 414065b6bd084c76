"""Team buy pages and forms (services/teams.py): open a team from the card, a team's page
(members, seats needed, its countdown, the member's share link with its QR code, the join
form), join it. Forms work without JavaScript: POST with CSRF, back with a message."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community_commerce.errors import CommerceError
from community_commerce.forms import ClaimForm
from community_commerce.models import Claim, Offer, Team
from community_commerce.services import teams
from community_commerce.views.links import short_url
from community_commerce.views.offers import _ref


def _coupon(request):
    return request.POST.get("coupon", "").strip()[:100] or None


def _quantity(request):
    form = ClaimForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("quantity", [_("Give a valid quantity.")])))
        return None
    return form.cleaned_data["quantity"]


def team_detail(request, pk):
    try:
        team = teams.get_team(pk)
    except CommerceError:
        raise Http404 from None
    offer = team.offer
    now = timezone.now()
    seats = list(teams.seats_of(team))
    user = request.user
    mine = user.is_authenticated and any(seat.buyer_id == user.pk for seat in seats)
    joinable = team.status == Team.Status.OPEN and team.expires_at > now
    merchant = user.is_authenticated and offer.merchant.user_id == user.pk
    share_url, qr = request.build_absolute_uri(teams.team_url(team)), None
    if joinable and user.is_authenticated:
        share_url = short_url(request, teams.team_link(team=team, user=user))
    if joinable:
        qr = segno.make(share_url, error="m").svg_inline(scale=5, title=share_url)
    my_order = None
    if mine:
        my_order = (
            Claim.objects.filter(team_id=team.pk, buyer=user, status=Claim.Status.ORDERED)
            .values_list("order__pk", flat=True)
            .first()
        )
    context = {
        "team": team,
        "offer": offer,
        "seats": seats,
        "mine": mine,
        "my_order": my_order,
        "joinable": joinable,
        "may_join": joinable and not mine and not merchant,
        "merchant": merchant,
        "share_url": share_url,
        "qr": qr,
        "server_now": now,
        "solo_price": offer.terms.get("solo_price"),
        "team_price": offer.terms.get("unit_price"),
    }
    return render(request, "community_commerce/team_detail.html", context)


@login_required
@require_POST
def open_team(request, pk):
    offer = get_object_or_404(Offer, pk=pk)
    quantity = _quantity(request)
    if quantity is None:
        return redirect(offer.get_absolute_url())
    try:
        team = teams.open_team(
            offer_id=pk,
            leader=request.user,
            quantity=quantity,
            idempotency_key=request.POST.get("idempotency_key") or None,
            coupon=_coupon(request),
            **_ref(request),
        )
    except CommerceError as exc:
        messages.error(request, exc.message)
        return redirect(offer.get_absolute_url())
    messages.success(
        request, _("Your team is open. Share its link: it goes through when %(n)d more join.") % {"n": team.needed}
    )
    return redirect("community_commerce:team", team.pk)


@login_required
@require_POST
def join_team(request, pk):
    team = get_object_or_404(Team, pk=pk)
    quantity = _quantity(request)
    if quantity is None:
        return redirect("community_commerce:team", team.pk)
    try:
        claim = teams.join_team(
            team_id=pk, member=request.user, quantity=quantity, coupon=_coupon(request), **_ref(request)
        )
    except CommerceError as exc:
        messages.error(request, exc.message)
        return redirect("community_commerce:team", team.pk)
    order = getattr(claim, "order", None)
    if order is not None:
        messages.success(
            request, _("The team is complete. Pay to complete your order %(number)s.") % {"number": order.number}
        )
    else:
        messages.success(
            request, _("You joined the team. It goes through when %(n)d more join.") % {"n": claim.team.needed}
        )
    return redirect("community_commerce:team", team.pk)
