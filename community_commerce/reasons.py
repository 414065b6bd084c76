"""Reasons the plugin itself gives when it cancels an offer (no merchant or staff wrote
them). Stored as their English msgid in ``Offer.cancel_reason`` and ``OrderEvent.reason``,
like the reasons people type, and translated wherever they are shown."""

from django.utils.translation import gettext, gettext_noop

# Stable codes an adapter passes to ForumAdapter.thread_gone, and the msgid each stores.
THREAD_GONE = {
    "moderated": gettext_noop("The thread was removed by the forum's moderators."),
    "deleted": gettext_noop("The thread was deleted."),
}
SYSTEM = frozenset(THREAD_GONE.values())


def is_system(reason) -> bool:
    return reason in SYSTEM


def shown(reason) -> str:
    """A stored reason as the reader reads it: ours translated, anyone else's as written."""
    return gettext(reason) if reason in SYSTEM else (reason or "")
