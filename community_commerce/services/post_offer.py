"""A verified merchant attaches an offer to their own thread, or edits it
before the first claim."""

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from community_commerce import errors
from community_commerce.adapters import get_adapter
from community_commerce.errors import Conflict, InvalidInput, NotAllowed
from community_commerce.kinds import KINDS
from community_commerce.models import Claim, Offer
from community_commerce.money import parse_currency, parse_whole
from community_commerce.services import limits, offer_snapshot
from community_commerce.services.merchants import verified_merchant_of

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
MAX_STOCK = 1_000_000


def _datetime(value, field, problems):
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = parse_datetime(str(value or ""))
        except ValueError:
            parsed = None
        if parsed is None:
            problems.setdefault(field, []).append(_("Give a date and time (ISO 8601 with an offset)."))
            return None
    if timezone.is_naive(parsed):
        problems.setdefault(field, []).append(_("Give the time zone offset, e.g. 2026-12-01T18:00:00+01:00."))
        return None
    try:  # stored and compared in UTC: 0001-01-01T00:00+14:00 has no UTC time
        parsed.astimezone(UTC)
    except OverflowError:
        problems.setdefault(field, []).append(_("Give a date between the years 1 and 9999 in UTC."))
        return None
    return parsed


def _whole(value, field, problems, *, required):
    if value in (None, ""):
        if required:
            problems.setdefault(field, []).append(_("This field is required."))
        return None
    number = parse_whole(value)
    if number is None:
        problems.setdefault(field, []).append(_("Give a whole number of at least 1."))
        return None
    if not 1 <= number <= MAX_STOCK:
        problems.setdefault(field, []).append(_("Give a whole number from 1 to %d.") % MAX_STOCK)
        return None
    return number


def clean_offer(*, kind, title, description, currency, starts_at, ends_at, stock, per_user_limit, terms, now):
    """Every field checked; all problems reported together (InvalidInput.fields)."""
    problems: dict[str, list[str]] = {}
    if kind not in KINDS:
        raise InvalidInput(
            fields={"kind": [_("Choose group_buy, flash_sale, dutch_auction, team_buy or lowest_unique.")]}
        )
    kind_class = KINDS[kind]
    title = " ".join(str(title or "").split())
    if not 3 <= len(title) <= TITLE_MAX:
        problems["title"] = [_("Give a title of 3 to %d characters.") % TITLE_MAX]
    description = str(description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        problems["description"] = [_("At most %d characters.") % DESCRIPTION_MAX]
    try:
        currency = parse_currency(currency)
    except ValueError as exc:
        problems["currency"] = [str(exc)]
        currency = None  # the terms are still checked, all but their decimals
    starts = _datetime(starts_at, "starts_at", problems)
    ends = _datetime(ends_at, "ends_at", problems)
    if starts and ends and ends <= starts:
        problems.setdefault("ends_at", []).append(_("The end must be after the start."))
    if ends and ends <= now:
        problems.setdefault("ends_at", []).append(_("The end must be in the future."))
    stock = _whole(stock, "stock", problems, required=kind_class.needs_stock)
    per_user_limit = _whole(per_user_limit, "per_user_limit", problems, required=False)
    if not isinstance(terms, dict):
        problems["terms"] = [_("Give the terms as an object.")]
        terms = {}
    try:
        terms = kind_class.clean_terms(terms, currency=currency)
    except InvalidInput as exc:
        problems.update(exc.fields)
    if kind == "group_buy" and stock and isinstance(terms.get("min_quantity"), int) and stock < terms["min_quantity"]:
        problems.setdefault("stock", []).append(_("A group-buy needs at least as many units as its minimum."))
    if kind == "team_buy" and stock and isinstance(terms.get("team_size"), int) and stock < terms["team_size"]:
        problems.setdefault("stock", []).append(_("A team buy needs at least one team's worth of units."))
    if kind == "lowest_unique":  # one prize
        if stock not in (None, 1):
            problems.setdefault("stock", []).append(_("A guessing game has one prize: its stock is 1."))
        stock = 1
    if problems:
        raise InvalidInput(_("The offer is not valid."), fields=problems)
    return {
        "kind": kind,
        "title": title,
        "description": description,
        "currency": currency,
        "starts_at": starts,
        "ends_at": ends,
        "stock": stock,
        "per_user_limit": per_user_limit,
        "terms": terms,
    }


def check_offer(*, user, thread_id=None, now, **fields):
    """Every check ``create_offer`` makes, in its order, without writing anything:
    the member is a verified merchant, may post in the thread (when ``thread_id``
    is given), every field is valid, and a new shop's offer is within its limit.
    Returns ``(merchant, thread (a ThreadRef), cleaned fields)``; raises NotAllowed,
    NotFound, InvalidInput or Conflict (``merchant_limit``).

    Without a thread it answers "would this offer be accepted?" before the thread
    exists, as the new-thread composer asks; ``create_offer`` checks the thread later."""
    merchant = verified_merchant_of(user)
    thread = None
    if thread_id is not None:
        thread = get_adapter().get_thread(thread_id)
        get_adapter().check_may_post_offer(user, thread)
    data = clean_offer(now=now, **fields)
    limits.check_offer_value(merchant=merchant, **data)  # a new shop's offer is worth a bounded amount
    return merchant, thread, data


def create_offer(*, user, thread_id, **fields) -> Offer:
    now = timezone.now()
    merchant, thread, data = check_offer(user=user, thread_id=thread_id, now=now, **fields)
    with transaction.atomic():
        offer = Offer.objects.create(thread_id=thread.id, merchant=merchant, status=Offer.Status.SCHEDULED, **data)
        if offer.starts_at <= now:  # opens like any other: the thread event, watchers told
            from community_commerce.services.lifecycle import open_offer

            open_offer(offer_id=offer.pk, now=now)
            offer.refresh_from_db()
    from community_commerce.services.schedule import queue_precise_tasks

    transaction.on_commit(lambda: queue_precise_tasks(offers=[offer], now=now))
    return offer


def update_offer(*, user, offer_id, **fields) -> Offer:
    """Edit an offer. Refused once the first claim exists: the terms are then frozen."""
    offer = Offer.objects.select_related("merchant").filter(pk=offer_id).first()
    if offer is None:
        raise errors.NotFound(_("No such offer."))
    if offer.merchant.user_id != user.pk:
        raise NotAllowed(_("Only its merchant can edit this offer."))
    verified_merchant_of(user, refusal=_("Only verified merchants can edit offers."))
    if offer.closed_at or offer.status == Offer.Status.CANCELLED:
        raise Conflict(_("This offer has ended."), code=errors.CLOSED)
    current = {
        k: getattr(offer, k)
        for k in (
            "kind",
            "title",
            "description",
            "currency",
            "starts_at",
            "ends_at",
            "stock",
            "per_user_limit",
            "terms",
        )
    }
    now = timezone.now()
    data = clean_offer(now=now, **{**current, **fields})
    if data["kind"] != offer.kind:
        raise InvalidInput(fields={"kind": [_("The kind of an offer cannot change.")]})
    limits.check_offer_value(merchant=offer.merchant, **data)
    # Back to scheduled when the start moves ahead; a start moved to now opens through
    # lifecycle.open_offer below, so the event and the reminders go out as usual.
    data["status"] = offer.status if data["starts_at"] <= now else Offer.Status.SCHEDULED
    with transaction.atomic():
        changed = (
            Offer.objects.filter(pk=offer.pk, sold=0, revision=offer.revision, closed_at__isnull=True)
            .exclude(pk__in=Claim.objects.filter(offer_id=offer.pk).values("offer_id"))
            .update(**data, revision=F("revision") + 1)
        )
        if not changed:
            raise Conflict(_("The first claim is in: the terms are frozen."), code=errors.TERMS_FROZEN)
        offer_snapshot.forget(offer.pk)
    offer.refresh_from_db()
    if offer.status == Offer.Status.SCHEDULED and offer.starts_at <= now:
        from community_commerce.services.lifecycle import open_offer

        open_offer(offer_id=offer.pk, now=now)
        offer.refresh_from_db()
    from community_commerce.services.schedule import queue_precise_tasks

    transaction.on_commit(lambda: queue_precise_tasks(offers=[offer], now=now))
    return offer
