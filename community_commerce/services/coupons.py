"""Coupons: a merchant creates them for an offer, members take handouts, claims use them.

Uses are exact under a crowd (ARCHITECTURE.md rule 9): a use is one conditional
UPDATE on the coupon's counter (``uses + 1 <= max_uses``) plus a row under a
unique constraint on (coupon, member) for the live uses; a handout is taken the
same way (``handed_out``, and one grant per member). A use is given back by a
conditional UPDATE of its row (live -> released), so a withdraw, an expiry, a
cancellation or a failed group-buy gives it back once, however often it is
delivered. Everything here runs inside the caller's transaction; a refusal
raises before anything is written, or rolls the caller back.
"""

import re
import secrets
from decimal import Decimal, InvalidOperation

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community_commerce import errors, rows
from community_commerce.adapters import get_adapter
from community_commerce.errors import Conflict, InvalidInput, NotAllowed, NotFound
from community_commerce.models import Coupon, CouponGrant, CouponUse, Offer
from community_commerce.models.coupon import CODE_MAX
from community_commerce.money import fmt, parse_amount, round_amount
from community_commerce.services.post_offer import MAX_STOCK, _datetime, _whole

_CODE = re.compile(rf"[A-Z0-9_-]{{3,{CODE_MAX}}}")
_CHANNEL = re.compile(r"[a-z0-9-]{1,40}")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed from a poster
ONE_HUNDRED = Decimal(100)


def normalise_code(value) -> str:
    """What a member typed, as stored: no spaces anywhere, upper case ("  spring 10 " is SPRING10)."""
    return "".join(str(value or "").split()).upper()


def clean_channel(value, field="channel") -> str:
    """A channel label: lower-case letters, digits and "-", up to 40 (API.md)."""
    channel = str(value or "").strip()
    if not _CHANNEL.fullmatch(channel):
        raise InvalidInput(
            fields={field: [_("Use lower-case letters, digits and “-”, up to 40 characters.")]},
            code=errors.INVALID_CHANNEL,
        )
    return channel


def new_code() -> str:
    return "".join(_ALPHABET[b % 32] for b in secrets.token_bytes(8))


# --- What a coupon takes off --------------------------------------------------------------------------


def unit_discount(coupon, *, price, offer) -> Decimal:
    """What the coupon takes off one unit at ``price``: never below zero, never below
    the offer's floor (a Dutch auction's floor price), in the currency's decimals."""
    price = Decimal(price)
    if coupon.discount_type == Coupon.Type.PERCENT:
        off = round_amount(price * Decimal(coupon.value) / ONE_HUNDRED, offer.currency)
    else:
        off = Decimal(coupon.value)
    lowest = max(offer.kind_class.floor_price(offer), Decimal(0))
    return round_amount(max(min(off, price - lowest), Decimal(0)), offer.currency)


def describe(coupon, currency) -> str:
    """The discount as a plain, language-neutral text for thread events: "10%", "2.00 EUR"."""
    if coupon.discount_type == Coupon.Type.PERCENT:
        return f"{coupon.value.normalize():f}%"
    return f"{fmt(coupon.value, currency)} {currency}"


# --- The merchant creates coupons ---------------------------------------------------------------------


def create_coupon(
    *, user, offer_id, discount_type=None, value=None, code=None, max_uses=None, handout=False,
    min_quantity=None, starts_at=None, ends_at=None, channel=None, now=None,
) -> Coupon:  # fmt: skip
    """A coupon for one of the member's offers. A handout (``max_uses`` coupons for
    members to take, one each) and a public code are both announced in the thread."""
    now = now or timezone.now()
    offer = Offer.objects.select_related("merchant").filter(pk=offer_id).first()
    if offer is None:
        raise NotFound(_("No such offer."))
    if offer.merchant.user_id != user.pk:
        raise NotAllowed(_("Only the offer's merchant can create its coupons."))
    if offer.closed_at is not None or offer.status == Offer.Status.CANCELLED:
        raise Conflict(_("This offer has ended."), code=errors.CLOSED)
    fields = _clean(
        offer=offer, discount_type=discount_type, value=value, code=code, max_uses=max_uses, handout=handout,
        min_quantity=min_quantity, starts_at=starts_at, ends_at=ends_at, channel=channel,
    )  # fmt: skip
    try:
        with transaction.atomic():
            coupon = Coupon.objects.create(offer=offer, created_by=user, created_at=now, **fields)
            _announce(offer, coupon)
    except IntegrityError:
        raise InvalidInput(
            fields={"code": [_("This offer already has a coupon with this code.")]}, code=errors.INVALID_COUPON
        ) from None
    return coupon


def _clean(*, offer, discount_type, value, code, max_uses, handout, min_quantity, starts_at, ends_at, channel):
    problems: dict[str, list] = {}
    if discount_type not in Coupon.Type.values:
        problems["discount_type"] = [_("Choose “amount” or “percent”.")]
    amount = None
    try:
        amount = parse_amount(value, offer.currency if discount_type == Coupon.Type.AMOUNT else None)
    except (InvalidOperation, TypeError, ValueError) as exc:
        problems["value"] = [str(exc) or _("Give a plain number, e.g. 10 or 2.50.")]
    if amount is not None and discount_type == Coupon.Type.PERCENT and not Decimal(0) < amount <= ONE_HUNDRED:
        problems["value"] = [_("A percentage from more than 0 up to 100.")]
    if amount is not None and discount_type == Coupon.Type.PERCENT and amount != amount.quantize(Decimal("0.01")):
        problems["value"] = [_("A percentage takes at most two decimals.")]
    if amount is not None and discount_type == Coupon.Type.AMOUNT:
        top = offer.kind_class.list_price(offer)
        if amount > top:
            problems["value"] = [_("More than the price (%(price)s).") % {"price": fmt(top, offer.currency)}]
    handout = handout is True or str(handout).lower() in ("true", "1", "on")
    uses = _whole(max_uses, "max_uses", problems, required=handout)
    least = _whole(min_quantity, "min_quantity", problems, required=False) or 1
    if code in (None, ""):
        code = new_code()
    else:
        code = normalise_code(code)
        if not _CODE.fullmatch(code):
            problems["code"] = [_("3 to %d letters, digits, “-” or “_”.") % CODE_MAX]
    starts = _datetime(starts_at, "starts_at", problems) if starts_at not in (None, "") else None
    ends = _datetime(ends_at, "ends_at", problems) if ends_at not in (None, "") else None
    if starts and ends and ends <= starts:
        problems.setdefault("ends_at", []).append(_("Must be after the start."))
    try:
        label = clean_channel(channel) if channel not in (None, "") else ""
    except InvalidInput as exc:
        problems.update(exc.fields)
        label = ""
    if problems:
        raise InvalidInput(_("The coupon is not valid."), fields=problems, code=errors.INVALID_COUPON)
    return {
        "code": code, "discount_type": discount_type, "value": amount, "max_uses": uses, "handout": handout,
        "min_quantity": min(least, MAX_STOCK), "starts_at": starts, "ends_at": ends, "channel": label,
    }  # fmt: skip


def _announce(offer, coupon):
    params = {"title": offer.title, "discount": describe(coupon, offer.currency)}
    if coupon.handout:
        get_adapter().post_thread_event(
            thread_id=offer.thread_id,
            message=gettext_noop("%(n)d coupons dropped: %(discount)s off “%(title)s”. Take one from the offer."),
            params={**params, "n": coupon.max_uses},
        )
    else:
        get_adapter().post_thread_event(
            thread_id=offer.thread_id,
            message=gettext_noop("Coupon code %(code)s: %(discount)s off “%(title)s”."),
            params={**params, "code": coupon.code},
        )


# --- Members take a handout ---------------------------------------------------------------------------


def take(*, coupon_id, member, now=None) -> tuple[CouponGrant, bool]:
    """Take one of a handout's coupons: first come, one per member. Returns (grant, created);
    taking again returns the same grant."""
    now = now or timezone.now()
    coupon = Coupon.objects.select_related("offer", "offer__merchant").filter(pk=coupon_id).first()
    if coupon is None:
        raise NotFound(_("No such coupon."))
    if not coupon.handout:
        raise Conflict(
            _("This coupon is a code to type at checkout, not one to take."), code=errors.COUPON_NOT_APPLICABLE
        )
    if coupon.offer.merchant.user_id == member.pk:
        raise NotAllowed(_("You cannot take a coupon of your own offer."), code=errors.OWN_OFFER)
    existing = CouponGrant.objects.filter(coupon=coupon, member=member).first()
    if existing is not None:
        return existing, False
    _check_period(coupon, now)
    if not coupon.offer.is_open_at(now) and coupon.offer.status != Offer.Status.SCHEDULED:
        raise Conflict(_("This offer has ended."), code=errors.CLOSED)
    try:
        with transaction.atomic():
            grant = CouponGrant.objects.create(coupon=coupon, member=member, taken_at=now)
            if not Coupon.objects.filter(pk=coupon.pk, handed_out__lt=F("max_uses")).update(
                handed_out=F("handed_out") + 1
            ):
                raise gone()
    except IntegrityError:  # the same member from two sessions at once: the first grant stands
        return CouponGrant.objects.get(coupon=coupon, member=member), False
    grant.coupon = coupon
    return grant, True


def gone() -> Conflict:
    return Conflict(_("All these coupons are gone."), code=errors.COUPONS_GONE)


def _check_period(coupon, now):
    if coupon.ends_at is not None and now >= coupon.ends_at:
        raise InvalidInput(
            _("This coupon has expired."), code=errors.INVALID_COUPON, fields={"coupon": [_("Expired.")]}
        )
    if coupon.starts_at is not None and now < coupon.starts_at:
        raise Conflict(_("This coupon is not valid yet."), code=errors.COUPON_NOT_APPLICABLE)


def my_coupons(member):
    """The member's taken coupons not used at the moment (a released use makes one usable again)."""
    live = CouponUse.objects.filter(member=member, status=CouponUse.Status.LIVE).values("coupon_id")
    return (
        CouponGrant.objects.filter(member=member)
        .exclude(coupon_id__in=live)
        .select_related("coupon", "coupon__offer")
        .order_by("-id")
    )


# --- A claim uses a coupon -----------------------------------------------------------------------------


def find_for_claim(*, code, offer, buyer, quantity, now) -> Coupon:
    """The coupon a claim names, checked before anything is written: 400 ``invalid_coupon``
    (unknown, expired), 409 ``coupon_not_applicable`` (another offer, too few units, not yet
    valid, a handout not taken), 409 ``coupons_gone`` (none left)."""
    normalised = normalise_code(code)
    if not normalised or len(normalised) > CODE_MAX:
        raise _unknown()
    coupon = _snapshot(offer.pk, normalised)
    if coupon is None:
        if Coupon.objects.filter(code=normalised).exists():
            raise Conflict(_("This coupon is for another offer."), code=errors.COUPON_NOT_APPLICABLE)
        raise _unknown()
    _check_period(coupon, now)
    if quantity < coupon.min_quantity:
        raise Conflict(
            _("This coupon needs at least %(n)d units.") % {"n": coupon.min_quantity},
            code=errors.COUPON_NOT_APPLICABLE,
        )
    if coupon.handout and not CouponGrant.objects.filter(coupon=coupon, member=buyer).exists():
        raise Conflict(_("Take this coupon from the offer first."), code=errors.COUPON_NOT_APPLICABLE)
    return coupon  # whether a use is left, the counter's UPDATE says (count_use)


_SNAPSHOT_FIELDS = (
    "id", "offer_id", "code", "discount_type", "value", "max_uses", "handout", "min_quantity", "starts_at", "ends_at",
    "channel",
)  # fmt: skip
SNAPSHOT_SECONDS = 60


def _snapshot(offer_id, code) -> Coupon | None:
    """A coupon's terms, cached: they never change once it is made (its counters are not
    in the snapshot; the conditional UPDATE reads them). A crowd reads no coupon row."""
    key = f"cc:coupon:{offer_id}:{code}"
    data = cache.get(key)
    if data is None:
        data = Coupon.objects.filter(offer_id=offer_id, code=code).values(*_SNAPSHOT_FIELDS).first()
        if data is None:
            return None
        cache.set(key, data, SNAPSHOT_SECONDS)
    coupon = Coupon(**data)
    coupon._state.adding = False
    coupon._state.db = "default"
    return coupon


def _unknown() -> InvalidInput:
    return InvalidInput(
        _("No such coupon code."), code=errors.INVALID_COUPON, fields={"coupon": [_("Check the code and try again.")]}
    )


def record_use(*, coupon, claim) -> None:
    """The use's row, under the unique (coupon, member) of live uses: a second use by the
    same member, even from another session at this very moment, is refused here. No
    savepoint: a refusal ends the whole claim, whose transaction rolls back."""
    try:
        rows.insert(CouponUse(coupon_id=coupon.pk, member_id=claim.buyer_id, claim=claim, created_at=claim.created_at))
    except IntegrityError:
        raise Conflict(_("You have already used this coupon."), code=errors.COUPON_USED) from None


def count_use(*, coupon) -> None:
    """The counter: one conditional UPDATE (``uses + 1 <= max_uses``), backed by a CHECK.
    Called last before the stock UPDATE, so the coupon's row is held no longer than the offer's."""
    table = connection.ops.quote_name(Coupon._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET uses = uses + 1 WHERE id = %s AND (max_uses IS NULL OR uses < max_uses)",  # noqa: S608
            [coupon.pk],
        )
        if cursor.rowcount != 1:
            raise gone()


# --- Uses come back ----------------------------------------------------------------------------------


def release(*, claim_ids=None, offer_id=None, now=None) -> int:
    """Give back the live uses of these claims (or of every claim of an offer still
    holding a live use). Each use is released by one conditional UPDATE of its row and
    its coupon's counter goes down by the rows that UPDATE changed: exactly once,
    however often (or however concurrently) it is called. Returns the uses given back."""
    now = now or timezone.now()
    live = CouponUse.objects.filter(status=CouponUse.Status.LIVE)
    if claim_ids is not None:
        live = live.filter(claim_id__in=list(claim_ids))
    elif offer_id is not None:
        live = live.filter(coupon__offer_id=offer_id)
    else:
        return 0
    by_coupon: dict[int, list[int]] = {}
    for use_id, coupon_id in live.values_list("id", "coupon_id"):
        by_coupon.setdefault(coupon_id, []).append(use_id)
    released = 0
    for coupon_id, use_ids in sorted(by_coupon.items()):
        n = CouponUse.objects.filter(pk__in=use_ids, status=CouponUse.Status.LIVE).update(
            status=CouponUse.Status.RELEASED, released_at=now
        )
        if n:
            Coupon.objects.filter(pk=coupon_id, uses__gte=n).update(uses=F("uses") - n)
            released += n
    return released


def release_for_order(unwind) -> None:
    """services/refunds.py's "coupon_use" step: the use of an order that ends unkept (expired,
    cancelled, refunded) comes back, once (release is a conditional UPDATE of the use's row).
    It runs between the member's tally and the offer row, the lock order of a claim."""
    release(claim_ids=[unwind.order.claim_id], now=unwind.now)


def live_uses_of_offer(offer_id) -> dict[int, Coupon]:
    """claim id -> its coupon, for the live uses of an offer's claims (a group-buy's close)."""
    rows = CouponUse.objects.filter(coupon__offer_id=offer_id, status=CouponUse.Status.LIVE).select_related("coupon")
    return {use.claim_id: use.coupon for use in rows}


def visible_to(offer, user):
    """The offer's merchant (and staff) see every coupon; members the handouts and public codes
    that are still valid."""
    coupons = Coupon.objects.filter(offer=offer).order_by("id")
    if user.is_staff or offer.merchant.user_id == user.pk:
        return coupons
    now = timezone.now()
    return coupons.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
