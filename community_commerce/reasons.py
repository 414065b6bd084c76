"""Reasons the plugin itself gives when it cancels an offer or moves an order (no merchant
or staff wrote them). Stored as their English msgid in ``Offer.cancel_reason`` and ``OrderEvent.reason``,
like the reasons people type, and translated wherever they are shown."""

from django.utils.translation import gettext, gettext_noop

# Stable codes an adapter passes to ForumAdapter.thread_gone, and the msgid each stores.
THREAD_GONE = {
    "moderated": gettext_noop("The thread was removed by the forum's moderators."),
    "deleted": gettext_noop("The thread was deleted."),
}
# The sweeper completed a shipped order nobody confirmed or disputed (services/receipt.py).
AUTO_RECEIVED = gettext_noop(
    "Received automatically: the buyer neither confirmed receipt nor opened a dispute in time."
)
# The buyer opened a dispute, by its reason (models/dispute.py Dispute.Reason).
DISPUTE_OPENED = {
    "not_received": gettext_noop("Dispute opened: not received."),
    "not_as_described": gettext_noop("Dispute opened: not as described."),
    "other": gettext_noop("Dispute opened."),
}
SYSTEM = frozenset([*THREAD_GONE.values(), AUTO_RECEIVED, *DISPUTE_OPENED.values()])


def is_system(reason) -> bool:
    return reason in SYSTEM


def shown(reason) -> str:
    """A stored reason as the reader reads it: ours translated, anyone else's as written."""
    return gettext(reason) if reason in SYSTEM else (reason or "")
