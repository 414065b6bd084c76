"""Members apply to sell; staff verify or suspend them, with the reason recorded."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community_commerce.adapters import get_adapter
from community_commerce.errors import InvalidInput
from community_commerce.models import Merchant, MerchantEvent
from community_commerce.money import parse_whole


def _clean(value, field, max_length, required=True):
    value = " ".join(str(value or "").split()) if field != "payment_instructions" else str(value or "").strip()
    if required and not value:
        raise InvalidInput(fields={field: [_("This field is required.")]})
    if len(value) > max_length:
        raise InvalidInput(fields={field: [_("At most %d characters.") % max_length]})
    return value


def apply(*, user, display_name, contact, payment_instructions="", ships_within_days=None) -> Merchant:
    """Create or update the member's merchant profile. A new one waits for staff review.
    ``ships_within_days``: the promise behind the shop's on-time rate (default: the setting)."""
    fields = {
        "display_name": _clean(display_name, "display_name", 100),
        "contact": _clean(contact, "contact", 200),
        "payment_instructions": _clean(payment_instructions, "payment_instructions", 2000, required=False),
    }
    if ships_within_days not in (None, ""):
        days = parse_whole(ships_within_days)
        if days is None or not 1 <= days <= 60:
            raise InvalidInput(fields={"ships_within_days": [_("Give a whole number of days from 1 to 60.")]})
        fields["ships_within_days"] = days
    with transaction.atomic():
        merchant, created = Merchant.objects.get_or_create(user=user, defaults=fields)
        if created:
            MerchantEvent.objects.create(merchant=merchant, actor=user, to_status=merchant.status, reason="applied")
        else:
            Merchant.objects.filter(pk=merchant.pk).update(**fields)
            merchant.refresh_from_db()
    return merchant


def _set_status(*, merchant, to_status, actor, reason, from_statuses) -> bool:
    now = timezone.now()
    changes = {"status": to_status, "status_reason": reason}
    if to_status == Merchant.Status.VERIFIED:
        changes["verified_at"] = now
    with transaction.atomic():
        before = Merchant.objects.select_for_update().get(pk=merchant.pk).status
        if before not in from_statuses:
            return False
        Merchant.objects.filter(pk=merchant.pk).update(**changes)
        MerchantEvent.objects.create(
            merchant=merchant, at=now, actor=actor, from_status=before, to_status=to_status, reason=reason
        )
    merchant.refresh_from_db()
    return True


def verify(*, merchant, actor=None, reason="") -> bool:
    changed = _set_status(
        merchant=merchant,
        to_status=Merchant.Status.VERIFIED,
        actor=actor,
        reason=reason,
        from_statuses=(Merchant.Status.PENDING, Merchant.Status.SUSPENDED),
    )
    if changed:
        get_adapter().notify(
            recipients=[merchant.user_id],
            kind="merchant_verified",
            message=gettext_noop("Your shop “%(name)s” is verified: you can post offers in deal threads."),
            params={"name": merchant.display_name},
        )
    return changed


def suspend(*, merchant, actor=None, reason) -> bool:
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise InvalidInput(fields={"reason": [_("Give a reason for the suspension.")]})
    changed = _set_status(
        merchant=merchant,
        to_status=Merchant.Status.SUSPENDED,
        actor=actor,
        reason=reason[:300],
        from_statuses=(Merchant.Status.PENDING, Merchant.Status.VERIFIED),
    )
    if changed:
        get_adapter().notify(
            recipients=[merchant.user_id],
            kind="merchant_suspended",
            message=gettext_noop("Your shop “%(name)s” is suspended: %(reason)s"),
            params={"name": merchant.display_name, "reason": reason},
        )
    return changed


def verified_merchant_of(user, *, refusal=None) -> Merchant:
    """The member's verified merchant profile, or the not_merchant error; ``refusal`` says
    what was refused when it is not posting an offer."""
    from community_commerce import errors
    from community_commerce.errors import NotAllowed

    merchant = Merchant.objects.filter(user_id=getattr(user, "pk", None)).first()
    if merchant is None or not merchant.is_verified:
        raise NotAllowed(refusal or _("Only verified merchants can post offers."), code=errors.NOT_MERCHANT)
    return merchant


__all__ = ["apply", "suspend", "verified_merchant_of", "verify"]
