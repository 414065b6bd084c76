from decimal import Decimal

from community_commerce.kinds.base import Kind, TermsErrors


class FlashSale(Kind):
    """Limited stock at a fixed price from ``starts_at``; a claim reserves units
    with an order that must be paid within ``reservation_minutes``."""

    code = "flash_sale"
    creates_order_on_claim = True
    needs_stock = True

    def clean_terms(self, terms, *, currency):
        errors = TermsErrors(currency)
        unit_price = errors.amount(terms, "unit_price")
        minutes = errors.integer(terms, "reservation_minutes", minimum=1, maximum=7 * 24 * 60, default=15)
        errors.raise_if_any()
        return {"unit_price": errors.text(unit_price), "reservation_minutes": minutes}

    def unit_price(self, offer, now):
        return Decimal(offer.terms["unit_price"])
