"""``{{ amount|money:currency }}``: an amount as the reader's language writes it, in the
currency's own decimals (€19.90, ¥1,500, BHD1.250). The one way pages show money."""

from django import template

from community_commerce.money import format_money

register = template.Library()


@register.filter
def money(amount, currency):
    """A Decimal or an API amount string ("19.90"); "" for none."""
    return format_money(amount, currency)
