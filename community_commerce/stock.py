"""The stock gate. The database decides: units are taken with one conditional
UPDATE (``sold + q <= stock``), backed by a CHECK constraint, never by a
read-check-write in Python. (A Redis gate in front of it, for crowds, is a
later addition; it may only ever refuse early, never decide.)"""

from django.db.models import F

from community_commerce.models import ClaimTally, Offer


def take_units(*, offer, quantity) -> bool:
    """Take ``quantity`` units if the offer is still open, unchanged and has them."""
    qs = Offer.objects.filter(pk=offer.pk, revision=offer.revision, closed_at__isnull=True).exclude(
        status=Offer.Status.CANCELLED
    )
    if offer.stock is not None:
        qs = qs.filter(sold__lte=F("stock") - quantity)
    return qs.update(sold=F("sold") + quantity) == 1


def take_allowance(*, offer, buyer_id, quantity) -> bool:
    """Count ``quantity`` against the member's per-offer limit, atomically."""
    if offer.per_user_limit is None:
        return True
    tally, _ = ClaimTally.objects.get_or_create(offer_id=offer.pk, buyer_id=buyer_id)
    return (
        ClaimTally.objects.filter(pk=tally.pk, taken__lte=offer.per_user_limit - quantity).update(
            taken=F("taken") + quantity
        )
        == 1
    )


def return_units(*, offer_id, buyer_id, quantity) -> None:
    """Give units back to the offer and the member's allowance (withdraw, expiry, cancellation).
    An offer that has ended keeps its count: it is the record of what was sold."""
    Offer.objects.filter(pk=offer_id, sold__gte=quantity, closed_at__isnull=True).update(sold=F("sold") - quantity)
    ClaimTally.objects.filter(offer_id=offer_id, buyer_id=buyer_id, taken__gte=quantity).update(
        taken=F("taken") - quantity
    )
    # A sold-out sale that is still running is open again.
    Offer.objects.filter(pk=offer_id, status=Offer.Status.SOLD_OUT, closed_at__isnull=True).update(
        status=Offer.Status.LIVE
    )
