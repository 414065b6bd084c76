"""Settings of the stand-in site (see __init__.py): no bundled forum, a stub app labelled
"forum", the plugin with an adapter that touches no forum."""

import os

SECRET_KEY = "stub-site-only"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"  # as a machina site must set it
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "tests.nonbundled.stub_forum",
    "community_commerce",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["STUB_SITE_DB"]}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
COMMUNITY_COMMERCE_FORUM_ADAPTER = "tests.nonbundled.adapter.StubForumAdapter"
