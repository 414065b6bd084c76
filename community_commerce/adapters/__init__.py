"""The door from the commerce plugin to a forum: one adapter class, named by the setting
``COMMUNITY_COMMERCE_FORUM_ADAPTER`` and read through :func:`get_adapter` (the way
allauth's ``ACCOUNT_ADAPTER`` works). Commerce code calls ``get_adapter().<method>``
and never imports a forum. ``base.ForumAdapter`` documents every method.

This module imports nothing of the plugin but its settings, so any module may import it.
"""

from functools import cache

from django.utils.module_loading import import_string

from community_commerce.conf import conf


@cache
def _load(path):
    return import_string(path)()


def get_adapter():
    """The configured forum adapter: one instance per class path (a test that overrides
    the setting gets its own, and the original again afterwards)."""
    return _load(conf.FORUM_ADAPTER)
