"""Settings of the django-machina example site (`make run-machina`).

The project's settings (config/settings.py: the environment variables of README, SQLite
under VAR_DIR and an embedded Redis by default, allauth, Celery, WhiteNoise), with the
bundled forum swapped for django-machina 1.3 and the commerce plugin pointed at it.
Each step of README's "Install into your django-machina forum" is here, marked "(step)".
"""

from pathlib import Path

from machina import MACHINA_MAIN_STATIC_DIR, MACHINA_MAIN_TEMPLATE_DIR

import community_commerce
from config.settings import *  # noqa: F403
from config.settings import BASE_DIR, CACHES, DATABASES, INSTALLED_APPS, MIDDLEWARE, VAR_DIR, env, env_list

SITE_DIR = Path(__file__).resolve().parent

# Its own database file and cache keys and task queue: it may run beside `make run` on
# the same VAR_DIR and Redis.
if not env("DATABASE_URL"):
    DATABASES["default"]["NAME"] = str(VAR_DIR / "machina.sqlite3")
CACHES = {
    "default": {**CACHES["default"], "KEY_PREFIX": env("CACHE_KEY_PREFIX", "cc-machina")},
    # (step) machina keeps the files of a post being edited here; it must be file based
    "machina_attachments": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "machina_attachments"),
    },
}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "machina")

# (step) machina and its dependencies instead of the bundled forum; then the plugin
INSTALLED_APPS = [
    *(app for app in INSTALLED_APPS if app not in ("forum", "community_commerce")),
    "mptt",
    "haystack",
    "widget_tweaks",
    "machina",
    "machina.apps.forum",
    "machina.apps.forum_conversation",
    "machina.apps.forum_conversation.forum_attachments",
    "machina.apps.forum_conversation.forum_polls",
    "machina.apps.forum_feeds",
    "machina.apps.forum_moderation",
    "machina.apps.forum_search",
    "machina.apps.forum_tracking",
    "machina.apps.forum_member",
    "machina.apps.forum_permission",
    "community_commerce",  # needs django_htmx (its cards poll with htmx), installed above
    "examples.machina_site",  # the demo data command
]
# (step) machina's permission handler on every request
MIDDLEWARE = [*MIDDLEWARE, "machina.apps.forum_permission.middleware.ForumPermissionMiddleware"]
ROOT_URLCONF = "examples.machina_site.urls"

# (step) Template dirs, in this order: the site's own overrides, the plugin's overrides of
# machina's templates, machina's templates. The plugin's overrides extend machina's, so
# they must come before MACHINA_MAIN_TEMPLATE_DIR (after it they are silently ignored).
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SITE_DIR / "templates", community_commerce.MACHINA_TEMPLATE_DIR, MACHINA_MAIN_TEMPLATE_DIR],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "machina.core.context_processors.metadata",
            ],
        },
    },
]
STATICFILES_DIRS = [MACHINA_MAIN_STATIC_DIR]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
# (step) machina's apps set no default_auto_field and their migrations use AutoField: with
# BigAutoField, makemigrations would want new migrations inside machina. The plugin pins
# its own (BigAutoField), so its migrations are the same on every site.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# machina ships zh_CN, not zh_Hans: machina_catalogue/ holds its catalogue compiled for
# zh-hans (machina_locale.py); the project's catalogue (locale/) has the site's own words.
LOCALE_PATHS = [SITE_DIR / "machina_catalogue", BASE_DIR / "locale"]

MACHINA_FORUM_NAME = env("MACHINA_FORUM_NAME", "Neighbourhood forum")
MACHINA_DEFAULT_AUTHENTICATED_USER_FORUM_PERMISSIONS = [
    "can_see_forum",
    "can_read_forum",
    "can_start_new_topics",
    "can_reply_to_topics",
    "can_edit_own_posts",
    "can_post_without_approval",
    "can_create_polls",
    "can_vote_in_polls",
    "can_download_file",
]

# (step) the plugin on machina: its adapter, and the forums whose topics take offers
# (ids or slugs, each with the forums below it)
COMMUNITY_COMMERCE_FORUM_ADAPTER = "community_commerce.adapters.machina.MachinaAdapter"
COMMUNITY_COMMERCE_MACHINA_DEALS_FORUMS = env_list("COMMUNITY_COMMERCE_MACHINA_DEALS_FORUMS", "deals")
