from decimal import Decimal

from django.utils.translation import gettext as _

from community_commerce.kinds.base import Kind, TermsErrors
from community_commerce.money import fmt


class GroupBuy(Kind):
    """Goes through only if ``min_quantity`` units are committed by the deadline.
    More units committed in total reach tiers with a lower price for everyone."""

    code = "group_buy"
    creates_order_on_claim = False
    needs_stock = False

    def clean_terms(self, terms, *, currency):
        errors = TermsErrors(currency)
        unit_price = errors.amount(terms, "unit_price")
        min_quantity = errors.integer(terms, "min_quantity", minimum=1)
        tiers = []
        raw_tiers = terms.get("tiers") or []
        if not isinstance(raw_tiers, list):
            errors.add("tiers", _("must be a list"))
            raw_tiers = []
        last_quantity, last_price = min_quantity, unit_price
        for i, raw in enumerate(raw_tiers):
            if not isinstance(raw, dict):
                errors.add(f"tiers.{i}", _("must be an object with min_quantity and unit_price"))
                continue
            sub = TermsErrors(currency)
            quantity = sub.integer(raw, "min_quantity", minimum=1)
            price = sub.amount(raw, "unit_price")
            for field, messages in sub.fields.items():
                for message in messages:
                    errors.add(f"tiers.{i}.{field.removeprefix('terms.')}", message)
            if quantity is None or price is None:
                continue
            if last_quantity is not None and quantity <= last_quantity:
                errors.add(f"tiers.{i}.min_quantity", _("tiers must rise in quantity, above min_quantity"))
            if last_price is not None and price >= last_price:
                errors.add(f"tiers.{i}.unit_price", _("tiers must fall strictly in price"))
            tiers.append({"min_quantity": quantity, "unit_price": errors.text(price)})
            last_quantity, last_price = quantity, price
        lock = terms.get("lock_when_reached", False)
        if not isinstance(lock, bool):
            errors.add("lock_when_reached", _("must be true or false"))
        errors.raise_if_any()
        return {
            "unit_price": errors.text(unit_price),
            "min_quantity": min_quantity,
            "tiers": tiers,
            "lock_when_reached": lock,
        }

    @staticmethod
    def tiers(offer):
        """Base price first, then the tiers: [(min_quantity, price), ...] ascending."""
        terms = offer.terms
        levels = [(terms["min_quantity"], Decimal(terms["unit_price"]))]
        levels += [(t["min_quantity"], Decimal(t["unit_price"])) for t in terms.get("tiers", [])]
        return levels

    def price_for_quantity(self, offer, committed: int) -> Decimal:
        price = Decimal(offer.terms["unit_price"])
        for quantity, tier_price in self.tiers(offer)[1:]:
            if committed >= quantity:
                price = tier_price
        return price

    def unit_price(self, offer, now):
        return self.price_for_quantity(offer, offer.sold)

    def reached(self, offer) -> bool:
        return offer.sold >= offer.terms["min_quantity"]

    def live_state(self, offer, now):
        tiers = [{"min_quantity": q, "unit_price": fmt(p, offer.currency)} for q, p in self.tiers(offer)[1:]]
        current = next_tier = None
        for tier in tiers:
            if offer.sold >= tier["min_quantity"]:
                current = tier
            elif next_tier is None:
                next_tier = tier
        return {
            "min_quantity": offer.terms["min_quantity"],
            "units_to_minimum": max(offer.terms["min_quantity"] - offer.sold, 0),
            "units_to_next_tier": next_tier["min_quantity"] - offer.sold if next_tier else None,
            "reached": self.reached(offer),
            "tiers": tiers,
            "current_tier": current,
            "next_tier": next_tier,
        }

    def close_status(self, offer):
        return offer.Status.SUCCEEDED if self.reached(offer) else offer.Status.FAILED
