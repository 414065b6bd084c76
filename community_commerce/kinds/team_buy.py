from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community_commerce.kinds.base import Kind, TermsErrors

MAX_TEAM_SIZE = 50
MAX_TEAM_HOURS = 7 * 24


class TeamBuy(Kind):
    """Pinduoduo's team buy: a member opens a team (their claim) and shares it; if
    ``team_size`` members join within ``team_hours`` (and before the offer ends) every
    member gets an order at the team price at once, else every claim is released. The
    offer's stock bounds all teams together (services/teams.py)."""

    code = "team_buy"
    creates_order_on_claim = False  # the team's completion makes the orders
    needs_stock = True
    direct_claim_refusal = gettext_lazy("Open a team or join one to buy this offer.")

    def clean_terms(self, terms, *, currency):
        errors = TermsErrors(currency)
        team_price = errors.amount(terms, "unit_price")
        solo_price = errors.amount(terms, "solo_price")
        size = errors.integer(terms, "team_size", minimum=2, maximum=MAX_TEAM_SIZE)
        hours = errors.integer(terms, "team_hours", minimum=1, maximum=MAX_TEAM_HOURS, default=24)
        if team_price is not None and solo_price is not None and solo_price <= team_price:
            errors.add("solo_price", _("must be higher than the team price (unit_price)"))
        errors.raise_if_any()
        return {
            "unit_price": errors.text(team_price),
            "solo_price": errors.text(solo_price),
            "team_size": size,
            "team_hours": hours,
        }

    def unit_price(self, offer, now) -> Decimal:
        return Decimal(offer.terms["unit_price"])

    def max_unit_price(self, terms) -> Decimal:
        return Decimal(terms["unit_price"])

    def live_state(self, offer, now) -> dict:
        return {"team_size": offer.terms["team_size"], "solo_price": offer.terms["solo_price"]}
