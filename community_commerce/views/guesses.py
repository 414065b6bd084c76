"""The guess form's POST and the public table after the close (services/guesses.py has the rules)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community_commerce.errors import CommerceError
from community_commerce.models import Offer
from community_commerce.money import fmt
from community_commerce.services import guesses


@login_required
@require_POST
def guess(request, pk):
    """Guess ``amount`` from the card's form; back to the offer in its thread with a message."""
    offer = get_object_or_404(Offer, pk=pk)
    try:
        made = guesses.place_guess(offer_id=pk, member=request.user, amount=request.POST.get("amount", "")[:40])
    except CommerceError as exc:
        problems = [str(m) for ms in exc.fields.values() for m in ms] if exc.fields else [exc.message]
        messages.error(request, " ".join(problems))
    else:
        messages.success(
            request,
            _("Your guess of %(amount)s %(currency)s is in. Nobody sees it before the close.")
            % {"amount": fmt(made.amount, offer.currency), "currency": offer.currency},
        )
    return redirect(offer.get_absolute_url())


def guess_table(request, pk):
    """The game's result for anyone after the close: every amount and its count, the winner's
    row highlighted. Before the close (or for a cancelled game) it says so, with status 409."""
    offer = get_object_or_404(Offer, pk=pk, kind=Offer.Kind.LOWEST_UNIQUE)
    context = {"offer": offer, "currency": offer.currency}
    try:
        context["result"] = guesses.result(offer)
    except CommerceError as exc:
        context["message"] = exc.message
        return render(request, "community_commerce/guess_table.html", context, status=exc.status)
    return render(request, "community_commerce/guess_table.html", context)
