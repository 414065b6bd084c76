from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community_commerce.conf import conf
from community_commerce.kinds.base import Kind, TermsErrors
from community_commerce.money import fmt

MAX_ENTRY_POINTS = 100_000
MAX_GUESSES_PER_MEMBER = 100


class LowestUnique(Kind):
    """Lowest unique price: members guess amounts in the currency's steps, paying
    ``entry_points`` points a guess (points are only ever earned: never a lottery paid
    for with money). At the close the lowest amount guessed by exactly one member wins
    (no unique amount: the lowest with the fewest guesses, then the earliest); the winner
    gets an order at their amount (services/guesses.py). One prize: stock 1."""

    code = "lowest_unique"
    creates_order_on_claim = False
    needs_stock = False  # always one prize: post_offer sets stock 1
    direct_claim_refusal = gettext_lazy("This is a guessing game: guess an amount to take part.")

    def clean_terms(self, terms, *, currency):
        errors = TermsErrors(currency)
        low = errors.amount(terms, "min_guess")
        high = errors.amount(terms, "max_guess")
        entry = errors.integer(terms, "entry_points", minimum=0, maximum=MAX_ENTRY_POINTS)
        per_member = errors.integer(terms, "guesses_per_member", minimum=1, maximum=MAX_GUESSES_PER_MEMBER)
        prize = errors.amount(terms, "prize_value") if terms.get("prize_value") not in (None, "") else None
        if low is not None and low <= 0:
            errors.add("min_guess", _("must be more than zero"))
        if low is not None and high is not None and high <= low:
            errors.add("max_guess", _("must be higher than min_guess"))
        cap = conf.GUESS_MAX_PRIZE
        for field, value in (("max_guess", high), ("prize_value", prize)):
            if value is not None and value > cap:
                errors.add(field, _("must be at most %(cap)s (the site's prize cap)") % {"cap": cap})
        errors.raise_if_any()
        cleaned = {
            "min_guess": errors.text(low),
            "max_guess": errors.text(high),
            "entry_points": entry,
            "guesses_per_member": per_member,
        }
        if prize is not None:
            cleaned["prize_value"] = errors.text(prize)
        return cleaned

    def unit_price(self, offer, now) -> Decimal:
        """Before the close: the lowest possible guess; after it the winner's amount is
        the offer's ``result_unit_price``."""
        return Decimal(offer.terms["min_guess"])

    def list_price(self, offer) -> Decimal:
        return Decimal(offer.terms["max_guess"])

    def floor_price(self, offer) -> Decimal:
        return Decimal(offer.terms["max_guess"])  # no coupon takes anything off a guess

    def max_unit_price(self, terms) -> Decimal:
        return Decimal(terms["max_guess"])

    def live_state(self, offer, now) -> dict:
        state = {
            "entry_points": offer.terms["entry_points"],
            "guesses_per_member": offer.terms["guesses_per_member"],
        }
        if offer.result_unit_price is not None:
            state["winning_amount"] = fmt(offer.result_unit_price, offer.currency)
        return state

    def close_status(self, offer) -> str:
        return offer.Status.CLOSED  # services/guesses.py sets succeeded (a winner) or failed (no guess)
