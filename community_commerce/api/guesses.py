"""JSON API of the lowest-unique-price games (shared/API.md "Points and games"): guess, read
one's own guesses, and the public table after the close. Thin: the rules are in
services/guesses.py. Before the close no answer carries anyone else's guess or a count per
amount (the table answers 409 ``not_closed`` to everyone, the merchant and staff included)."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from community_commerce.api.pages import page_of
from community_commerce.api.types import BODY, WRITE, Id, Page, errors, per_page
from community_commerce.models import Guess, Offer
from community_commerce.money import fmt
from community_commerce.services import guesses

router = Router(tags=["points and games"])
PerPage = per_page(100)


class GuessIn(Schema):
    amount: str | int | float | None = Field(
        None, description="The guess, in the offer's currency and its decimals, from min_guess to max_guess."
    )


class GuessOut(Schema):
    id: int
    offer: int
    amount: str
    created_at: datetime


class GuessPage(Schema):
    items: list[GuessOut]
    count: int


class WinnerOut(Schema):
    amount: str
    member: str = Field(description="The winner's display name.")
    member_id: int


class AmountCount(Schema):
    amount: str
    count: int = Field(description="How many members guessed this amount.")


class GuessTable(Schema):
    winner: WinnerOut | None = Field(description="None when nobody guessed.")
    amounts: list[AmountCount] = Field(description="Every amount guessed, lowest first.")


def guess_data(guess, currency) -> dict:
    return {
        "id": guess.pk,
        "offer": guess.offer_id,
        "amount": fmt(guess.amount, currency),
        "created_at": guess.created_at,
    }


@router.post("/offers/{offer_id}/guesses", response={201: GuessOut, **errors(400, WRITE, 404, 409, BODY)})
def create_guess(request, offer_id: Id, payload: GuessIn):
    """Guess an amount (costs the game's ``entry_points``). 400 ``invalid_guess`` (``fields.amount``:
    not an amount in the currency's steps, out of range, or guessed already); 403 ``own_offer``;
    409 ``not_a_game``, ``not_started``, ``closed``, ``guess_limit``, ``not_enough_points``.
    The answer carries the member's own guess only."""
    amount = "" if payload.amount is None else str(payload.amount)
    guess = guesses.place_guess(offer_id=offer_id, member=request.auth, amount=amount)
    currency = Offer.objects.filter(pk=offer_id).values_list("currency", flat=True).get()
    return Status(201, guess_data(guess, currency))


@router.get("/offers/{offer_id}/guesses", response={200: GuessTable, **errors(400, 404, 409)}, auth=None)
def guess_table(request, offer_id: Id):
    """After the close, for anyone: the winner and every amount with its count, so anyone can
    recompute the result. Before the close: 409 ``not_closed`` (everyone); a cancelled game:
    409 ``cancelled``; not a game: 409 ``not_a_game``."""
    offer = get_object_or_404(Offer, pk=offer_id)
    return guesses.result(offer)


@router.get("/me/guesses", response={200: GuessPage, **errors(400, 401)})
def my_guesses(request, offer: Id | None = None, page: Page = 1, per_page: PerPage = 20):
    """The member's own guesses, newest first (``offer``: on one game only). Nobody else's."""
    found = Guess.objects.filter(member=request.auth).select_related("offer").order_by("-id")
    if offer is not None:
        found = found.filter(offer_id=offer)
    items, count = page_of(found, page, per_page)
    return {"items": [guess_data(g, g.offer.currency) for g in items], "count": count}
