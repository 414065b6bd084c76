from django.apps import AppConfig


class MachinaSiteConfig(AppConfig):
    """The example site as an app: its demo-data command (seed_machina_demo)."""

    name = "examples.machina_site"
    label = "machina_site"
    verbose_name = "django-machina example site"
