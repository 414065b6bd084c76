from datetime import timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from community_commerce.kinds.base import Kind, TermsErrors
from community_commerce.money import fmt, round_amount


class DutchAuction(Kind):
    """The price falls by ``step`` every ``step_seconds`` from ``start_price`` to
    ``floor_price``. It is a pure function of the clock, so every server and
    every late task agrees on it; a buyer takes the price of the moment."""

    code = "dutch_auction"
    creates_order_on_claim = True
    needs_stock = True

    def clean_terms(self, terms, *, currency):
        errors = TermsErrors(currency)
        start = errors.amount(terms, "start_price")
        floor = errors.amount(terms, "floor_price")
        step = errors.amount(terms, "step")
        step_seconds = errors.integer(terms, "step_seconds", minimum=1, maximum=7 * 24 * 3600)
        minutes = errors.integer(terms, "reservation_minutes", minimum=1, maximum=7 * 24 * 60, default=15)
        if start is not None and floor is not None and floor >= start:
            errors.add("floor_price", _("must be lower than start_price"))
        errors.raise_if_any()
        return {
            "start_price": errors.text(start),
            "floor_price": errors.text(floor),
            "step": errors.text(step),
            "step_seconds": step_seconds,
            "reservation_minutes": minutes,
        }

    def max_unit_price(self, terms) -> Decimal:
        return Decimal(terms["start_price"])

    @staticmethod
    def steps_taken(offer, now) -> int:
        elapsed = (now - offer.starts_at).total_seconds()
        return 0 if elapsed <= 0 else int(elapsed // offer.terms["step_seconds"])

    def price_after(self, offer, steps: int) -> Decimal:
        """The price after ``steps`` drops, in the currency's decimals (rounded half up:
        exact for terms parse_amount accepted, and safe for any stored before)."""
        terms = offer.terms
        price = Decimal(terms["start_price"]) - Decimal(terms["step"]) * steps
        return round_amount(max(price, Decimal(terms["floor_price"])), offer.currency)

    def list_price(self, offer):
        return Decimal(offer.terms["start_price"])

    def floor_price(self, offer):
        return Decimal(offer.terms["floor_price"])

    def unit_price(self, offer, now):
        return self.price_after(offer, self.steps_taken(offer, now))

    def schedule(self, offer, limit=200):
        """[(at, price), ...] from the start to the floor: the price table buyers see."""
        rows, steps = [], 0
        floor = Decimal(offer.terms["floor_price"])
        while len(rows) < limit:
            at = offer.starts_at + timedelta(seconds=steps * offer.terms["step_seconds"])
            if at >= offer.ends_at:
                break
            price = self.price_after(offer, steps)
            rows.append((at, price))
            if price <= floor:
                break
            steps += 1
        return rows

    def live_state(self, offer, now):
        steps = self.steps_taken(offer, now)
        current = self.price_after(offer, steps)
        floor = Decimal(offer.terms["floor_price"])
        next_price = next_at = None
        if current > floor:
            next_at = offer.starts_at + timedelta(seconds=(steps + 1) * offer.terms["step_seconds"])
            if next_at < offer.ends_at:
                next_price = self.price_after(offer, steps + 1)
            else:
                next_at = None
        return {
            "start_price": fmt(offer.terms["start_price"], offer.currency),
            "floor_price": fmt(offer.terms["floor_price"], offer.currency),
            "next_price": fmt(next_price, offer.currency),
            "next_price_at": next_at,
        }
