"""Payment providers. A provider tells the buyer how to pay and may confirm
payment itself; the default offline provider leaves confirmation to the merchant."""

from django.utils.module_loading import import_string

from community_commerce.conf import conf


def provider():
    return import_string(conf.PAYMENT_PROVIDER)()
