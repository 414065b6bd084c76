"""A member claims units of an offer: a commitment (group-buy) or a
reservation with an order waiting for payment (flash sale, Dutch auction).

Order of locks. A group-buy takes the offer row first (its price depends on the units
committed, and withdraw and the close lock the offer first too), then the member's tally.
A crowd sale (flash sale, Dutch auction) takes the member's tally, writes the claim, its
order and the order's event, and only then the offer row: the one row every buyer of the
sale waits for is held from that UPDATE to the commit, not through five statements.
Giving units back (stock.return_units) takes the tally before the offer, so the two
orders never cross into a deadlock.

A coupon (services/coupons.py) is checked before anything is written; its use row is
written with the claim, and its counter is taken in the stock UPDATE itself on
PostgreSQL (a WITH clause: coupon row, then offer row, one round trip), just before it
on SQLite, and after it for a group-buy; a refused coupon rolls everything back. The claim's channel
and link are decided here, once (services/links.py, ARCHITECTURE.md rule 10).
"""

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community_commerce import errors, rows, stock
from community_commerce.errors import Conflict, InvalidInput, NotAllowed, NotFound
from community_commerce.models import Claim, Coupon, Offer
from community_commerce.money import parse_whole, round_amount
from community_commerce.services import coupons, lifecycle, links, offer_snapshot
from community_commerce.services.orders import create_reservation_order

MAX_QUANTITY = 10_000
KEY_MAX = 100
IDEMPOTENCY_SECONDS = 24 * 3600


def clean_quantity(value) -> int:
    quantity = parse_whole(value)
    if quantity is None:
        raise InvalidInput(fields={"quantity": [_("Give a whole number of at least 1.")]}, code="invalid_quantity")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(
            fields={"quantity": [_("Give a whole number from 1 to %d.") % MAX_QUANTITY]}, code="invalid_quantity"
        )
    return quantity


def check_open(offer, now) -> None:
    """The clock decides, not the stored status: a late sweeper never lets a late claim in."""
    if offer.status == Offer.Status.CANCELLED:
        raise Conflict(_("This offer was cancelled."), code=errors.CLOSED)
    if offer.closed_at is not None or now >= offer.ends_at:
        raise Conflict(_("This offer has ended."), code=errors.CLOSED)
    if now < offer.starts_at:
        raise Conflict(_("This offer has not started yet."), code=errors.NOT_STARTED)


def claim(*, offer_id, buyer, quantity, idempotency_key=None, coupon=None, ref=None, ref_at=None) -> tuple[Claim, bool]:
    """Returns (claim, created). The same idempotency key again returns the first claim.
    ``coupon``: a code; ``ref``: a share link's code (an app's, or the browser's cookie,
    seen at ``ref_at``)."""
    quantity = clean_quantity(quantity)
    code = coupons.normalise_code(coupon) if coupon not in (None, "") else None
    key = (str(idempotency_key).strip() or None) if idempotency_key is not None else None
    if key and len(key) > KEY_MAX:
        raise InvalidInput(fields={"idempotency_key": [_("At most %d characters.") % KEY_MAX]})
    offer = offer_snapshot.get(offer_id)
    if offer is None:
        raise NotFound(_("No such offer."))
    if (refusal := offer.kind_class.direct_claim_refusal) is not None:
        raise Conflict(refusal, code=errors.NOT_CLAIMABLE)
    if key and (known := cache.get(_idempotency_cache_key(offer_id, buyer.pk, key))):
        existing = Claim.objects.filter(pk=known).first()
        if existing:
            return _replayed(existing, quantity, code), False
    if offer.merchant_user_id == buyer.pk:
        raise NotAllowed(_("You cannot claim your own offer."), code=errors.OWN_OFFER)
    now = timezone.now()
    check_open(offer, now)
    if offer.per_user_limit is not None and quantity > offer.per_user_limit:
        raise Conflict(_("At most %(limit)d per member.") % {"limit": offer.per_user_limit}, code=errors.LIMIT_EXCEEDED)
    kind = offer.kind_class
    found = coupons.find_for_claim(code=code, offer=offer, buyer=buyer, quantity=quantity, now=now) if code else None
    through_gate, existing = _pass_gate(offer=offer, buyer=buyer, quantity=quantity, key=key)
    if existing:
        return _replayed(existing, quantity, code), False
    source = {"coupon": found, "ref": ref, "ref_at": ref_at}
    try:
        with transaction.atomic():
            new_claim = _take(offer=offer, kind=kind, buyer=buyer, quantity=quantity, key=key, now=now, **source)
    except Exception as exc:
        if through_gate:  # the database refused what the gate allowed: the gate gets the units back
            stock.gate.give_back(offer_id=offer.pk, buyer_id=buyer.pk, quantity=quantity)
        # The same key again (two requests at once, or a retry the cache forgot): the first claim stands.
        if isinstance(exc, IntegrityError | Conflict) and key and (existing := _claim_with_key(offer, buyer, key)):
            return _replayed(existing, quantity, code), False
        raise
    if key:
        cache.set(_idempotency_cache_key(offer.pk, buyer.pk, key), new_claim.pk, IDEMPOTENCY_SECONDS)
    return new_claim, True


def _replayed(existing: Claim, quantity: int, code: str | None = None) -> Claim:
    """A retry with the same key gets the first claim back, if it asks for the same thing
    (the same quantity and coupon). The same key with another body is a client bug, not a
    retry: refuse it (as Stripe does) rather than answer with a claim the client did not ask for."""
    if existing.quantity != quantity:
        raise Conflict(
            _("This idempotency key was already used for a claim of %(quantity)d; use a new key for a new claim.")
            % {"quantity": existing.quantity},
            code=errors.IDEMPOTENCY_KEY_REUSED,
        )
    used = None
    if existing.coupon_id is not None:
        used = Coupon.objects.filter(pk=existing.coupon_id).values_list("code", flat=True).first()
    if used != code:
        raise Conflict(
            _("This idempotency key was already used for a claim with another coupon; use a new key for a new claim."),
            code=errors.IDEMPOTENCY_KEY_REUSED,
        )
    return existing


def _idempotency_cache_key(offer_id, buyer_id, key) -> str:
    return f"cc:claim-key:{offer_id}:{buyer_id}:{key}"


def _pass_gate(*, offer, buyer, quantity, key) -> tuple[bool, Claim | None]:
    """The Redis gate for crowd sales: refuse early without touching the database.

    Returns (the gate took units, to give back if the database refuses; the claim
    an idempotency key already made). A refused request with a key is looked up in
    the database only when the member holds units: only then can it be a retry
    whose key the cache forgot. A refusal of anyone else never reaches the database.
    """
    if not stock.gated(offer):
        return False, None
    verdict, left, held = stock.gate.take(offer=offer, buyer_id=buyer.pk, quantity=quantity)
    if verdict == stock.MISSING:  # Redis restarted or flushed, or the sale just opened
        stock.gate.rebuild(offer=offer)
        verdict, left, held = stock.gate.take(offer=offer, buyer_id=buyer.pk, quantity=quantity)
    if verdict not in (stock.SOLD_OUT, stock.OVER_LIMIT):
        return verdict == stock.TAKEN, None
    if key and held != 0 and (existing := _claim_with_key(offer, buyer, key)):
        return False, existing
    if verdict == stock.SOLD_OUT:
        raise _sold_out(left)
    raise Conflict(
        _("You can claim at most %(limit)d in total on this offer.") % {"limit": offer.per_user_limit},
        code=errors.LIMIT_EXCEEDED,
    )


def _claim_with_key(offer, buyer, key) -> Claim | None:
    return Claim.objects.filter(offer_id=offer.pk, buyer=buyer, idempotency_key=key).first()


def _take(*, offer, kind, buyer, quantity, key, now, coupon, ref, ref_at) -> Claim:
    channel, link_id = links.attribute(buyer=buyer, ref=ref, ref_at=ref_at, coupon=coupon, now=now)
    source = {"channel": channel, "link_id": link_id, "coupon": coupon}
    if kind.creates_order_on_claim:
        return _take_reservation(offer=offer, kind=kind, buyer=buyer, quantity=quantity, key=key, now=now, **source)
    _open_if_due(offer, now)
    committed = _take_units(offer, quantity)
    # It shows the tier its own units help reach (the close sets the final price for all),
    # from the count this transaction has just written, not from the snapshot.
    unit_price = kind.price_for_quantity(offer, committed)
    _take_allowance(offer, buyer, quantity)
    discount = _discount(coupon, offer, unit_price, quantity)
    new_claim = _insert_claim(
        offer, buyer, quantity, unit_price, Claim.Status.ACTIVE, key, now, discount=discount, **source
    )
    Claim.order.related.set_cached_value(new_claim, None)
    if coupon is not None:  # reserved with the commitment; applied to the order at the close
        coupons.record_use(coupon=coupon, claim=new_claim)
        coupons.count_use(coupon=coupon)
    return new_claim


def _take_reservation(*, offer, kind, buyer, quantity, key, now, coupon, channel, link_id) -> Claim:
    """A flash-sale or Dutch-auction claim: its price comes from the clock, so everything
    is written before the offer row is touched; the coupon's counter and then the stock
    UPDATE come last."""
    unit_price = kind.unit_price(offer, now)
    discount = _discount(coupon, offer, unit_price, quantity)
    _take_allowance(offer, buyer, quantity)
    new_claim = _insert_claim(
        offer, buyer, quantity, unit_price, Claim.Status.ORDERED, key, now,
        discount=discount, channel=channel, link_id=link_id, coupon=coupon,
    )  # fmt: skip
    if coupon is not None:
        coupons.record_use(coupon=coupon, claim=new_claim)
    order = create_reservation_order(claim=new_claim, offer=offer, unit_price=unit_price, now=now)
    Claim.order.related.set_cached_value(new_claim, order)
    combined = coupon is not None and stock.counts_coupon_with_units()
    if coupon is not None and not combined:
        coupons.count_use(coupon=coupon)
    _open_if_due(offer, now)
    _take_units(offer, quantity, coupon=coupon if combined else None)
    return new_claim


def _discount(coupon, offer, unit_price, quantity):
    """What the coupon takes off this claim in all; a coupon that takes nothing off at this
    price (a Dutch auction at its floor) is refused rather than spent."""
    if coupon is None:
        return 0
    off = coupons.unit_discount(coupon, price=unit_price, offer=offer)
    if not off:
        raise Conflict(_("This coupon takes nothing off at this price."), code=errors.COUPON_NOT_APPLICABLE)
    return round_amount(off * quantity, offer.currency)


def _open_if_due(offer, now) -> None:
    if offer.status == Offer.Status.SCHEDULED:  # its start has come (check_open said so): open it first
        lifecycle.open_offer(offer_id=offer.pk, now=now)


def _take_units(offer, quantity, coupon=None) -> int:
    """The stock UPDATE (counting the coupon's use too, when given); returns the units now
    committed. Refused: raise why."""
    committed, sold_it_out, counted = stock.take_units(
        offer=offer, quantity=quantity, coupon_id=coupon.pk if coupon is not None else None
    )
    if committed is None:
        _explain_refusal(offer, quantity)
    if not counted:
        raise coupons.gone()
    if sold_it_out:
        lifecycle.announce_sold_out(offer=offer)
    return committed


def _take_allowance(offer, buyer, quantity) -> None:
    if not stock.take_allowance(offer=offer, buyer_id=buyer.pk, quantity=quantity):
        raise Conflict(
            _("You can claim at most %(limit)d in total on this offer.") % {"limit": offer.per_user_limit},
            code=errors.LIMIT_EXCEEDED,
        )


def _insert_claim(
    offer, buyer, quantity, unit_price, status, key, now, *, discount=0, channel="forum", link_id=None, coupon=None
) -> Claim:
    new_claim = rows.insert(
        Claim(
            offer_id=offer.pk, buyer=buyer, quantity=quantity, unit_price=unit_price, status=status,
            idempotency_key=key, created_at=now, discount=discount, channel=channel, link_id=link_id, coupon=coupon,
        )
    )  # fmt: skip
    new_claim.offer = offer  # what the caller reads next, already here: no second query
    return new_claim


def _explain_refusal(offer, quantity):
    """The stock UPDATE matched no row: say why, from a fresh read."""
    offer_snapshot.forget(offer.pk)
    fresh = Offer.objects.get(pk=offer.pk)
    if fresh.status == Offer.Status.CANCELLED or fresh.closed_at is not None:
        raise Conflict(_("This offer has ended."), code=errors.CLOSED)
    if fresh.revision != offer.revision:
        raise Conflict(_("The merchant just changed this offer; look again."), code="offer_changed")
    raise _sold_out(fresh.stock_left or 0)


def _sold_out(left) -> Conflict:
    if not left:
        return Conflict(_("Sold out."), code=errors.SOLD_OUT)
    return Conflict(_("Only %(left)d left.") % {"left": left}, code=errors.SOLD_OUT)
