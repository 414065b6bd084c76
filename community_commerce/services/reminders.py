"""'Remind me': a member asks to be told when a scheduled offer opens."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community_commerce import errors
from community_commerce.errors import Conflict, NotFound
from community_commerce.models import Offer, OfferReminder


def remind(*, offer_id, user) -> bool:
    """True when the reminder is new; False when the member had already asked."""
    offer = Offer.objects.filter(pk=offer_id).first()
    if offer is None:
        raise NotFound(_("No such offer."))
    if offer.closed_at is not None or offer.status == Offer.Status.CANCELLED:
        raise Conflict(_("This offer has ended."), code=errors.CLOSED)
    if offer.starts_at <= timezone.now():
        raise Conflict(_("This offer is open already."), code="already_open")
    try:
        with transaction.atomic():
            OfferReminder.objects.create(offer=offer, user=user)
    except IntegrityError:
        return False
    return True
