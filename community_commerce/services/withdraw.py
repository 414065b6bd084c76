"""A buyer withdraws a group-buy commitment before the close."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community_commerce import errors, stock
from community_commerce.errors import Conflict, NotFound
from community_commerce.models import Claim, Offer
from community_commerce.services import coupons
from community_commerce.services.claim import check_open


def withdraw(*, claim_id, buyer) -> bool:
    """True when withdrawn now, False when it was already withdrawn."""
    claim = Claim.objects.filter(pk=claim_id, buyer_id=getattr(buyer, "pk", None)).first()
    if claim is None:
        raise NotFound(_("No such claim."))
    if claim.status == Claim.Status.WITHDRAWN:
        return False
    now = timezone.now()
    with transaction.atomic():
        offer = Offer.objects.select_for_update().get(pk=claim.offer_id)  # the close takes this lock too
        if offer.kind != Offer.Kind.GROUP_BUY:
            raise Conflict(_("A reservation is cancelled through its order."), code="not_withdrawable")
        check_open(offer, now)
        kind = offer.kind_class
        if offer.terms.get("lock_when_reached") and kind.reached(offer):
            raise Conflict(_("The group-buy reached its target: commitments are final."), code=errors.THRESHOLD_LOCKED)
        if not Claim.objects.filter(pk=claim.pk, status=Claim.Status.ACTIVE).update(
            status=Claim.Status.WITHDRAWN, ended_at=now
        ):
            claim.refresh_from_db()
            if claim.status == Claim.Status.WITHDRAWN:
                return False
            raise Conflict(_("This claim has already ended."), code=errors.CLOSED)
        stock.return_units(
            offer_id=offer.pk, buyer_id=claim.buyer_id, quantity=claim.quantity,
            between=lambda: coupons.release(claim_ids=[claim.pk], now=now),
        )  # fmt: skip
    return True
