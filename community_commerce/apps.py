from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityCommerceConfig(AppConfig):
    name = "community_commerce"
    label = "community_commerce"
    verbose_name = _("Commerce")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from community_commerce import signals
        from community_commerce.adapters import get_adapter

        get_adapter().connect()
        signals.connect()
