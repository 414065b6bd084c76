"""Payouts: staff record that a merchant paid a beneficiary (the forum, or a member through
the forum) with a reference such as a bank transfer's. A payout covers, for one merchant,
beneficiary and currency, every entry approved up to a date, less every reversal not
deducted yet (created up to that date), in one transaction of conditional UPDATEs: an
entry is paid once, a reversal deducted once, whatever is clicked twice."""

from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from community_commerce.errors import InvalidInput
from community_commerce.models import CommissionEntry, Payout

E = CommissionEntry


def end_of(day) -> datetime:
    """The first moment after ``day`` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def parties(entries) -> list[dict]:
    """The (merchant, beneficiary, member, currency) groups of these entries: one payout each."""
    keys = entries.values("merchant_id", "beneficiary", "member_id", "currency").distinct()
    return list(keys.order_by("merchant_id", "beneficiary", "member_id", "currency"))


def record(*, merchant_id, beneficiary, member_id, currency, up_to, reference, by=None, now=None) -> Payout | None:
    """Pay what is approved up to ``up_to`` (a date, included) and deduct the reversals.
    Returns the payout, or None when there is nothing to pay or deduct (or this reference
    was recorded for this party already)."""
    now = now or timezone.now()
    reference = " ".join(str(reference or "").split())[:100]
    if not reference:
        raise InvalidInput(fields={"reference": [_("Give the payment's reference.")]})
    cutoff = end_of(up_to)
    party = {"merchant_id": merchant_id, "beneficiary": beneficiary, "member_id": member_id, "currency": currency}
    try:
        with transaction.atomic():
            payout = Payout.objects.create(
                **party, up_to=up_to, reference=reference, amount=0, created_by=by, created_at=now
            )
            paid = E.objects.filter(**party, status=E.Status.APPROVED, reverses=None, approved_at__lt=cutoff).update(
                status=E.Status.PAID, payout=payout, paid_at=now
            )
            deducted = E.objects.filter(
                **party, status=E.Status.REVERSED, payout__isnull=True, created_at__lt=cutoff
            ).update(payout=payout)
            if not paid and not deducted:
                transaction.set_rollback(True)
                return None
            payout.amount = E.objects.filter(payout=payout).aggregate(s=Sum("amount"))["s"]
            payout.entries = paid + deducted
            payout.save(update_fields=["amount", "entries"])
    except IntegrityError:  # the same reference for this party again: recorded already
        return None
    return payout


def record_for(*, entries, up_to, reference, by=None, now=None) -> list[Payout]:
    """The admin's action: one payout per party among ``entries`` (a queryset)."""
    made = []
    for party in parties(entries):
        payout = record(**party, up_to=up_to, reference=reference, by=by, now=now)
        if payout is not None:
            made.append(payout)
    return made
