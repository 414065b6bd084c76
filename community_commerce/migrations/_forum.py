"""Which forum the site runs, for the migrations that once linked offers to the bundled
forum's threads with a foreign key.

The bundled forum and django-machina both use the app label ``forum``: a dependency on
``("forum", "0001_initial")`` would silently resolve to machina's own migration, and a
foreign key to ``forum.thread`` would fail there. So migrations 0001 and 0003 build
their thread fields with :func:`thread_field`: the historical foreign key where the
installed ``forum`` app is the bundled forum (existing databases keep their history),
the plain ``thread_id`` integer everywhere else. 0006 turns the bundled sites' foreign
keys into that same integer, so every site ends with the same state.

Not a migration itself: the loader skips modules whose name starts with "_".
"""

from django.apps import apps
from django.db import models


def bundled_forum() -> bool:
    """True when the app labelled "forum" is this project's bundled forum."""
    try:
        return apps.get_app_config("forum").name == "forum"
    except LookupError:
        return False


BUNDLED = bundled_forum()

# The dependency of the migrations that named the bundled forum's threads.
FORUM_DEPENDENCIES = [("forum", "0001_initial")] if BUNDLED else []

# The field that holds the thread, by the name it has in the model state.
THREAD = "thread" if BUNDLED else "thread_id"


def thread_field(*, on_delete, related_name):
    """The thread field as the historical migrations create it."""
    if BUNDLED:
        return models.ForeignKey(on_delete=on_delete, related_name=related_name, to="forum.thread")
    return models.BigIntegerField(db_index=True)
