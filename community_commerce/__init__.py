"""The commerce plugin: merchants run group-buys, flash sales and Dutch auctions
inside forum threads. It reaches a forum only through the adapter class named by
COMMUNITY_COMMERCE_FORUM_ADAPTER (community_commerce.adapters).

``MACHINA_TEMPLATE_DIR``: the plugin's overrides of django-machina's templates (topic
page, topic lists, post authors, member profile). Each extends or wraps machina's own.
Put it in ``TEMPLATES[0]["DIRS"]`` before machina's ``MACHINA_MAIN_TEMPLATE_DIR``:
after it, or found through APP_DIRS, the overrides are silently ignored."""

from pathlib import Path

MACHINA_TEMPLATE_DIR = str(Path(__file__).resolve().parent / "machina_templates")
