from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from community_commerce.errors import InvalidInput
from community_commerce.money import fmt, parse_amount, parse_whole


class TermsErrors:
    """Collects every problem with a set of terms, so the merchant sees them all at once."""

    def __init__(self, currency: str | None = None):
        self.currency = currency  # None when the currency itself is wrong: its decimals go unchecked
        self.fields: dict[str, list[str]] = {}

    def add(self, field, message):
        self.fields.setdefault(f"terms.{field}", []).append(message)

    def amount(self, terms, field):
        try:
            return parse_amount(terms[field], self.currency)
        except KeyError:
            self.add(field, _("required"))
        except ValueError as exc:
            self.add(field, str(exc))
        return None

    def integer(self, terms, field, *, minimum, maximum=10**9, default=None):
        value = terms.get(field, default)
        if value is None:
            self.add(field, _("required"))
            return None
        value = parse_whole(value)
        if value is None:
            self.add(field, _("must be a whole number"))
            return None
        if not minimum <= value <= maximum:
            self.add(field, _("must be between %(min)d and %(max)d") % {"min": minimum, "max": maximum})
            return None
        return value

    def text(self, amount) -> str | None:
        """A parsed amount as stored in the terms: with the currency's decimals."""
        if amount is None:
            return None
        return fmt(amount, self.currency) if self.currency else str(amount)

    def raise_if_any(self):
        if self.fields:
            raise InvalidInput(_("The offer's terms are not valid."), fields=self.fields, code="invalid_terms")


class Kind:
    code: str
    creates_order_on_claim: bool  # flash sale, Dutch auction: a claim is a reservation with an order
    needs_stock: bool
    # None: claimed through POST .../claims; else why that is refused and what to do instead
    # (a team buy is claimed through its teams, a game by guessing).
    direct_claim_refusal = None

    def clean_terms(self, terms: dict, *, currency: str | None) -> dict:
        """Validated terms as stored: amounts as strings with the currency's decimals
        (money.fmt). ``currency`` None: the currency is wrong, amounts are checked
        for all but their decimals and kept as given."""
        raise NotImplementedError

    def unit_price(self, offer, now: datetime) -> Decimal:
        """The price a claim made at ``now`` pays (group-buy: the price of the tier reached)."""
        raise NotImplementedError

    def list_price(self, offer) -> Decimal:
        """The highest unit price the offer asks: a coupon's amount may not exceed it."""
        return Decimal(offer.terms["unit_price"])

    def floor_price(self, offer) -> Decimal:
        """The lowest unit price a coupon may bring a unit to."""
        return Decimal(0)

    def live_state(self, offer, now: datetime) -> dict:
        """Kind-specific fields of the offer's live state (API.md)."""
        return {}

    def max_unit_price(self, terms: dict) -> Decimal:
        """The most one unit of an offer with these (cleaned) terms can cost: what a new
        shop's offer is worth per unit (services/limits.py). Default: ``unit_price``."""
        return Decimal(terms["unit_price"])

    def close_status(self, offer) -> str:
        """The final status of an offer whose time is up."""
        return offer.Status.SOLD_OUT if offer.stock is not None and offer.sold >= offer.stock else offer.Status.CLOSED
