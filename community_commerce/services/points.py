"""Member points: earned by taking part, spent on games, clawed back by refunds; never bought.

The ledger (models/points.py) is append-only; the balance row is kept exactly right by
conditional UPDATEs in the same transaction as each entry:

- **Spending** is one ``UPDATE ... SET available = available - n WHERE available >= n``: two
  spends at once never overdraw, and a negative balance (a clawback of points already spent)
  stops spending until it is positive again.
- **Earning** locks the member's balance row (the daily cap is counted there), then inserts
  the entry under its unique constraint: one earning per order and source, one referral
  reward per referred member, however often "completed" is delivered.
- **Clawback** (a refund: the ``points`` step of services/refunds.py) locks the order's
  earnings and adds one entry of the opposite sign per earning (``reverses`` is unique), in
  the earning's own state: a pending earning's clawback is pending too, with the same
  ``available_at``, so the two become available together and net to zero.
- **Release**: the sweeper turns pending entries whose refund window has passed into
  available ones, one UPDATE per batch.
"""

import math
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community_commerce import errors
from community_commerce.conf import conf
from community_commerce.errors import Conflict, InvalidInput
from community_commerce.models import Order, PointsBalance, PointsEntry, Referral
from community_commerce.services.commissions import email_key

Source = PointsEntry.Source
State = PointsEntry.State
MAX_ADJUSTMENT = 1_000_000

# Reasons stored language-neutral (gettext_noop) and shown translated (PointsEntry.reason).
EARNED_ORDER = gettext_noop("Completed order")
EARNED_REFERRAL = gettext_noop("A member you referred completed a first order")
CLAWED_BACK = gettext_noop("The order was refunded")
SPENT_GUESS = gettext_noop("A guess")
GIVEN_BACK = gettext_noop("The game was cancelled")


# --- the balance -----------------------------------------------------------------------------------


def _ensure_balance(member_id) -> None:
    """The member's balance row exists (one statement, safe when two requests race for it)."""
    table = connection.ops.quote_name(PointsBalance._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (member_id, available, pending, earned_today) "  # noqa: S608 - names are ours
            f"VALUES (%s, 0, 0, 0) ON CONFLICT (member_id) DO NOTHING",
            [member_id],
        )


def balance_of(member) -> dict:
    """``{balance, pending}`` of a member, from the kept row (no row: nothing yet)."""
    row = PointsBalance.objects.filter(member_id=member.pk).values("available", "pending").first()
    return {"balance": row["available"] if row else 0, "pending": row["pending"] if row else 0}


def recomputed(member) -> dict:
    """The balance summed from the ledger itself: what the kept row must equal."""
    sums = dict(
        PointsEntry.objects.filter(member_id=member.pk)
        .values("state")
        .annotate(total=Sum("amount"))
        .values_list("state", "total")
    )
    return {"balance": sums.get(State.AVAILABLE, 0) or 0, "pending": sums.get(State.PENDING, 0) or 0}


def history(member):
    """The member's ledger, newest first, with what a row of it shows."""
    return PointsEntry.objects.filter(member_id=member.pk).select_related("offer", "order").order_by("-id")


def _move(member_id, *, available=0, pending=0) -> None:
    PointsBalance.objects.filter(member_id=member_id).update(
        available=F("available") + available, pending=F("pending") + pending
    )


# --- spending ----------------------------------------------------------------------------------------


def spend(*, member, amount, reason, source=Source.GUESS, offer_id=None, now=None) -> PointsEntry | None:
    """Take ``amount`` available points (in the caller's transaction): one conditional UPDATE.
    Raises Conflict ``not_enough_points``. ``amount`` 0 (a free game) writes nothing."""
    if amount <= 0:
        return None
    now = now or timezone.now()
    _ensure_balance(member.pk)
    taken = PointsBalance.objects.filter(member_id=member.pk, available__gte=amount).update(
        available=F("available") - amount
    )
    if not taken:
        have = balance_of(member)["balance"]
        raise Conflict(
            _("This takes %(needed)d points; you have %(have)d available.") % {"needed": amount, "have": have},
            code=errors.NOT_ENOUGH_POINTS,
        )
    return PointsEntry.objects.create(
        member_id=member.pk, amount=-amount, source=source, state=State.AVAILABLE, reason=reason,
        offer_id=offer_id, created_at=now,
    )  # fmt: skip


def give_back(*, entry, reason=GIVEN_BACK, now=None) -> PointsEntry | None:
    """Return what a spend took (a game cancelled), once: the refund entry's ``reverses`` is unique."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            back = PointsEntry.objects.create(
                member_id=entry.member_id, amount=-entry.amount, source=Source.REFUND, state=State.AVAILABLE,
                reason=reason, offer_id=entry.offer_id, reverses=entry, created_at=now,
            )  # fmt: skip
    except IntegrityError:
        return None  # given back before
    _move(entry.member_id, available=back.amount)
    return back


# --- earning -------------------------------------------------------------------------------------------


def rate_for(currency: str) -> Decimal:
    """Points earned per unit of ``currency`` spent (settings; per currency where set)."""
    return conf.POINTS_PER_UNIT_BY_CURRENCY.get(currency, conf.POINTS_PER_UNIT)


def points_for(total: Decimal, currency: str) -> int:
    """What a completed order of ``total`` earns: whole points, rounded down."""
    return max(math.floor(Decimal(total) * rate_for(currency)), 0)


def earn(*, member_id, amount, source, reason, now, order=None, referred_id=None, offer_id=None) -> PointsEntry | None:
    """Pending points for the member, within their daily cap, once per order and source (the
    unique constraints). Returns the entry, or None (nothing to earn, capped, or earned before)."""
    if amount <= 0:
        return None
    _ensure_balance(member_id)
    row = PointsBalance.objects.select_for_update().get(member_id=member_id)
    today = now.date()
    earned = row.earned_today if row.earned_day == today else 0
    amount = min(amount, conf.POINTS_DAILY_CAP - earned)
    if amount <= 0:
        return None
    try:
        with transaction.atomic():
            entry = PointsEntry.objects.create(
                member_id=member_id, amount=amount, source=source, state=State.PENDING, reason=reason,
                order=order, offer_id=offer_id if offer_id is not None else getattr(order, "offer_id", None),
                referred_id=referred_id, created_at=now, available_at=now + timedelta(days=conf.REFUND_DAYS),
            )  # fmt: skip
    except IntegrityError:
        return None  # this order (or this referred member) earned before
    PointsBalance.objects.filter(member_id=member_id).update(
        pending=F("pending") + amount, earned_day=today, earned_today=earned + amount
    )
    return entry


def _same_person(a, b) -> bool:
    """One person's two accounts: the same user, or one email address (an alias ``a+b@x``)."""
    if a.pk == b.pk:
        return True
    key = email_key(a.email)
    return bool(key) and key == email_key(b.email)


@transaction.atomic  # its caller's transaction (orders.transition), or its own
def follow_order(*, order_id, to_status, now) -> list[PointsEntry]:
    """An order just completed (``orders.transition``, in its transaction): its buyer earns
    points on its total, and the member who referred the buyer earns the referral reward on
    the buyer's first completed order. Nothing is earned between a merchant and their own
    accounts (the merchant's own offer, or an alias of the merchant's email)."""
    if to_status != Order.Status.COMPLETED:
        return []
    order = Order.objects.select_related("buyer", "merchant__user").get(pk=order_id)
    merchant_user = order.merchant.user
    if _same_person(order.buyer, merchant_user):
        return []
    earned = []
    entry = earn(
        member_id=order.buyer_id, amount=points_for(order.total, order.currency), source=Source.ORDER,
        reason=EARNED_ORDER, now=now, order=order,
    )  # fmt: skip
    if entry is not None:
        earned.append(entry)
    referral = Referral.objects.select_related("referrer").filter(member_id=order.buyer_id).first()
    if referral is not None and not _same_person(referral.referrer, merchant_user):
        # Once per referred member (cc_points_referral_once): their first order to complete.
        entry = earn(
            member_id=referral.referrer_id, amount=conf.POINTS_REFERRAL, source=Source.REFERRAL,
            reason=EARNED_REFERRAL, now=now, order=order, referred_id=order.buyer_id,
        )  # fmt: skip
        if entry is not None:
            earned.append(entry)
    return earned


# --- clawback and release ----------------------------------------------------------------------------


@transaction.atomic  # its caller's transaction (the refund's), or its own
def claw_back(*, order_id, now, reason=CLAWED_BACK) -> list[PointsEntry]:
    """A refunded order gives back what it earned, each earning once, in its own state. The
    balance may go negative (the points were spent): spending then stops until it is positive."""
    earnings = list(
        PointsEntry.objects.select_for_update()
        .filter(order_id=order_id, source__in=PointsEntry.EARNED)
        .exclude(Exists(PointsEntry.objects.filter(reverses=OuterRef("pk"))))  # no outer join: PostgreSQL locks it
        .order_by("id")
    )
    clawed = []
    for earning in earnings:
        try:
            with transaction.atomic():
                entry = PointsEntry.objects.create(
                    member_id=earning.member_id, amount=-earning.amount, source=Source.CLAWBACK,
                    state=earning.state, reason=reason, order_id=order_id, offer_id=earning.offer_id,
                    reverses=earning, created_at=now, available_at=earning.available_at,
                )  # fmt: skip
        except IntegrityError:
            continue
        if earning.state == State.PENDING:
            _move(earning.member_id, pending=entry.amount)
        else:
            _move(earning.member_id, available=entry.amount)
        clawed.append(entry)
    return clawed


def claw_back_step(unwind) -> None:
    """services/refunds.py's ``points`` step: only a refund claws back (an order that expired
    or was cancelled before payment never earned)."""
    if unwind.is_refund:
        claw_back(order_id=unwind.order.pk, now=unwind.now)


def release_due(*, now=None, batch=5000, max_batches=20) -> int:
    """Pending entries whose refund window has passed become available: per batch, one
    UPDATE of the entries and one of each member's balance, in one transaction."""
    now = now or timezone.now()
    released = 0
    for _batch in range(max_batches):
        with transaction.atomic():
            due = PointsEntry.objects.filter(state=State.PENDING, available_at__lte=now).order_by("id")
            ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:batch])
            if not ids:
                break
            per_member = (
                PointsEntry.objects.filter(id__in=ids).values("member_id").annotate(total=Sum("amount")).order_by()
            )
            PointsEntry.objects.filter(id__in=ids, state=State.PENDING).update(state=State.AVAILABLE)
            for row in per_member:
                _move(row["member_id"], available=row["total"], pending=-row["total"])
            released += len(ids)
        if len(ids) < batch:
            break
    return released


# --- staff ---------------------------------------------------------------------------------------------


def checked_adjustment(amount, reason) -> tuple[int, str]:
    """``(amount, reason)`` of a staff adjustment, or InvalidInput naming each bad field:
    a whole number other than 0 within MAX_ADJUSTMENT, and a reason (the admin's form
    shows the same errors)."""
    reason = " ".join(str(reason or "").split())[:300]
    problems = {}
    if not reason:
        problems["reason"] = [_("Say why the points are adjusted.")]
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        amount = 0
    if amount == 0 or abs(amount) > MAX_ADJUSTMENT:
        problems["amount"] = [_("Give a whole number of points other than 0, at most %d either way.") % MAX_ADJUSTMENT]
    if problems:
        raise InvalidInput(fields=problems)
    return amount, reason


def adjust(*, member, amount, reason, actor, now=None) -> PointsEntry:
    """A staff adjustment (±), available at once; it needs a reason, kept on the entry."""
    amount, reason = checked_adjustment(amount, reason)
    now = now or timezone.now()
    with transaction.atomic():
        _ensure_balance(member.pk)
        entry = PointsEntry.objects.create(
            member_id=member.pk, amount=amount, source=Source.STAFF, state=State.AVAILABLE, reason=reason,
            actor=actor, created_at=now,
        )  # fmt: skip
        _move(member.pk, available=amount)
    return entry
