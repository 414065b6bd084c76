""" "You joined" / "you reserved": the buyer's notice of a claim, sent by the sweeper.

A claim in a crowd only writes its rows; queueing a Celery message for its notice cost
it about as much CPU as the rest of its Python. The sweeper instead tells every buyer
whose claim has no ``notified_at`` yet, a batch at a time: the claims are locked
(``skip_locked``, so two sweeps never take the same ones), marked and their notices
written in one transaction, so each claim is told exactly once, a few seconds after it
was made. A claim that no longer holds units by then (withdrawn, expired) is marked
and not told.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from community_commerce.adapters import get_adapter
from community_commerce.models import Claim, Offer

JOINED = gettext_noop(
    "You joined the group-buy “%(title)s” with %(quantity)d. It goes through if enough join by the deadline."
)
RESERVED = gettext_noop("You reserved %(quantity)d of “%(title)s”. Pay before the reservation expires.")


def send_pending(*, now=None, limit=1000) -> int:
    """Tell the buyers of up to ``limit`` claims not told yet; returns how many were told."""
    now = now or timezone.now()
    with transaction.atomic():
        claims = list(
            Claim.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(notified_at__isnull=True)
            .order_by("id")
            .values_list("id", "offer_id", "buyer_id", "quantity", "status")[:limit]
        )
        if not claims:
            return 0
        Claim.objects.filter(pk__in=[c[0] for c in claims]).update(notified_at=now)
        offers = Offer.objects.only("id", "kind", "title", "thread_id").in_bulk({c[1] for c in claims})
        Offer.load_urls(offers.values())  # one adapter call for the batch
        urls = {offer_id: offer.get_absolute_url() for offer_id, offer in offers.items()}
        items = [
            (
                buyer_id,
                JOINED if offers[offer_id].kind == Offer.Kind.GROUP_BUY else RESERVED,
                {"title": offers[offer_id].title, "quantity": quantity},
                urls[offer_id],
            )
            for _id, offer_id, buyer_id, quantity, status in claims
            if status in Claim.HOLDING
        ]
        get_adapter().deliver_each(kind="offer_joined", items=items)
    return len(items)
