"""A thread the forum deleted: its offers end with it.

The forum's adapter reports it (ForumAdapter.thread_gone, from the forum's own delete
signal or hook). Every offer of the thread that is not final is cancelled with a reason
of the plugin's own (community_commerce.reasons), through lifecycle's cancellation:
commitments released, open orders cancelled, buyers and merchant told, each in their
language. Offers that ended before keep their result and their orders. Safe to run twice:
each cancellation is a conditional transition, and only the call that made it tells anyone.
"""

from community_commerce import reasons
from community_commerce.models import Offer
from community_commerce.services import lifecycle


def thread_gone(*, thread_id, reason) -> int:
    """Cancel the open offers of thread ``thread_id``; ``reason`` is a key of
    reasons.THREAD_GONE ("moderated", "deleted"). Returns how many were cancelled."""
    if reason not in reasons.THREAD_GONE:
        raise ValueError(f"unknown reason {reason!r}: use one of {', '.join(reasons.THREAD_GONE)}")
    message = reasons.THREAD_GONE[reason]
    open_offers = (
        Offer.objects.filter(thread_id=thread_id, closed_at__isnull=True)
        .exclude(status=Offer.Status.CANCELLED)
        .values_list("id", flat=True)
    )
    return sum(lifecycle.cancel_for(offer_id=offer_id, reason=message) for offer_id in list(open_offers))
