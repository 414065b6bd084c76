from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityCommerceConfig(AppConfig):
    name = "community_commerce"
    label = "community_commerce"
    verbose_name = _("Commerce")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from community_commerce import forum_adapter, signals

        forum_adapter.connect()
        signals.connect()
