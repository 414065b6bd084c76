from django.utils.translation import gettext as _

from community_commerce.money import format_money
from community_commerce.payments.base import PaymentProvider


class OfflineProvider(PaymentProvider):
    """Bank transfer, cash on delivery, the merchant's own instructions: what local forums use."""

    code = "offline"
    merchant_confirms = True

    def instructions(self, order) -> str:
        merchant = order.merchant
        how = merchant.payment_instructions.strip() or _(
            "Pay the merchant by bank transfer or in cash on pick-up; contact them to arrange it."
        )
        return _("Pay %(total)s for order %(number)s. %(how)s Contact: %(contact)s") % {
            "total": format_money(order.total, order.currency),
            "number": order.number,
            "how": how,
            "contact": merchant.contact,
        }
