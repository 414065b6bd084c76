"""An offer's life: opens, may sell out, closes at its end or is cancelled.
Each step is one conditional transition, safe to run twice or twice at once;
thread events and notifications go out after commit."""

import logging

from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community_commerce import errors, stock
from community_commerce.adapters import get_adapter
from community_commerce.errors import Conflict, InvalidInput, NotAllowed, NotFound
from community_commerce.models import Claim, Offer, OfferReminder, Order
from community_commerce.money import fmt, round_amount
from community_commerce.services import coupons, offer_snapshot, orders

BULK = 1000
# The close of the games' kinds, in their own services: ``closer(*, offer, now) -> bool`` runs in
# the close's transaction with the offer row locked, may set ``offer.status`` and
# ``offer.result_unit_price``, and returns True when it posted the thread's event itself.
GAME_CLOSERS = {
    Offer.Kind.TEAM_BUY: "community_commerce.services.teams.close_offer_teams",
    Offer.Kind.LOWEST_UNIQUE: "community_commerce.services.guesses.close_game",
}
# What a cancelled game gives back, in the cancellation's transaction (after its claims were
# released): ``canceller(*, offer, now) -> None``.
GAME_CANCELLERS = {
    Offer.Kind.TEAM_BUY: "community_commerce.services.teams.cancel_offer_teams",
    Offer.Kind.LOWEST_UNIQUE: "community_commerce.services.guesses.cancel_game",
}
log = logging.getLogger(__name__)


def open_offer(*, offer_id, now=None) -> bool:
    """scheduled -> live once its start has come; tells members who asked to be reminded."""
    now = now or timezone.now()
    with transaction.atomic():
        # An offer whose whole time passed unswept is not announced: the close handles it.
        changed = Offer.objects.filter(
            pk=offer_id, status=Offer.Status.SCHEDULED, starts_at__lte=now, ends_at__gt=now
        ).update(status=Offer.Status.LIVE, opened_at=now)
        if not changed:
            return False
        offer_snapshot.forget(offer_id)
        offer = Offer.objects.select_related("merchant").get(pk=offer_id)
        if stock.gated(offer):
            stock.gate.rebuild(offer=offer)
        get_adapter().post_thread_event(
            thread_id=offer.thread_id,
            message=gettext_noop("%(kind)s is live: %(title)s"),
            params={"kind": _kind(offer), "title": offer.title},
        )
        reminders = OfferReminder.objects.filter(offer_id=offer_id, notified_at__isnull=True)
        user_ids = set(reminders.values_list("user_id", flat=True))
        reminders.update(notified_at=now)
        user_ids.update(get_adapter().thread_watchers(offer.thread_id))
        user_ids.discard(offer.merchant.user_id)
        get_adapter().notify(
            recipients=user_ids,
            kind="offer_live",
            message=gettext_noop("“%(title)s” is live now."),
            params={"title": offer.title},
            url=offer.get_absolute_url(),
        )
    return True


def announce_sold_out(*, offer) -> None:
    """The claim whose stock UPDATE took the last unit (and so marked the sale sold
    out, stock.take_units) tells the thread. The sale reopens if units come back."""
    offer_snapshot.forget(offer.pk)
    get_adapter().post_thread_event(
        thread_id=offer.thread_id,
        message=gettext_noop("%(kind)s sold out: %(title)s"),
        params={"kind": _kind(offer), "title": offer.title},
    )


def close_offer(*, offer_id, now=None) -> bool:
    """Close an offer whose end has come. True only for the call that closed it."""
    now = now or timezone.now()
    with transaction.atomic():
        offer = Offer.objects.select_for_update().filter(pk=offer_id).first()
        if offer is None or offer.closed_at is not None or offer.status == Offer.Status.CANCELLED:
            return False
        if now < offer.ends_at:
            return False  # an early ETA delivery: the sweeper or a later task closes it
        kind = offer.kind_class
        offer.status = kind.close_status(offer)
        offer.closed_at = now
        announced = False
        if offer.kind == Offer.Kind.GROUP_BUY:
            _close_group_buy(offer=offer, kind=kind, now=now)
        elif offer.kind in GAME_CLOSERS:  # teams still open fail; the guess game finds its winner
            announced = import_string(GAME_CLOSERS[offer.kind])(offer=offer, now=now)
        offer.save(update_fields=["status", "closed_at", "result_unit_price"])
        offer_snapshot.forget(offer.pk)
        if not announced:
            _announce_close(offer)
        if stock.gated(offer):
            transaction.on_commit(lambda: stock.gate.forget(offer_id=offer.pk))
    return True


def _close_group_buy(*, offer, kind, now):
    """Succeeded: every commitment becomes an order at the tier price, in bulk.
    Failed: every commitment is released. Every buyer is told either way."""
    active = Claim.objects.filter(offer_id=offer.pk, status=Claim.Status.ACTIVE)
    if offer.status != Offer.Status.SUCCEEDED:
        buyers = list(active.values_list("buyer_id", flat=True).distinct())
        active.update(status=Claim.Status.RELEASED, ended_at=now)
        coupons.release(offer_id=offer.pk, now=now)  # every coupon use comes back
        get_adapter().notify(
            recipients=buyers,
            kind="offer_failed",
            message=gettext_noop(
                "The group-buy “%(title)s” did not reach %(units)d units. Your commitment is released; nothing to pay."
            ),
            params={"title": offer.title, "units": offer.terms["min_quantity"]},
            url=offer.get_absolute_url(),
        )
        return
    price = kind.price_for_quantity(offer, offer.sold)
    offer.result_unit_price = price
    rows = list(active.values_list("id", "buyer_id", "quantity", "channel", "link_id"))
    numbers = orders.new_numbers([row[0] for row in rows])
    # A coupon reserved with a commitment applies now, after the tier price.
    used = coupons.live_uses_of_offer(offer.pk)
    discounts = {
        cid: round_amount(coupons.unit_discount(used[cid], price=price, offer=offer) * q, offer.currency)
        for cid, _bid, q, _channel, _link in rows
        if cid in used
    }
    Order.objects.bulk_create(
        [
            orders.build_order(
                claim_id=cid,
                buyer_id=bid,
                quantity=q,
                offer=offer,
                unit_price=price,
                now=now,
                number=number,
                discount=discounts.get(cid, 0),
                channel=channel,
                link_id=link_id,
                coupon_id=used[cid].pk if cid in used else None,
            )
            for (cid, bid, q, channel, link_id), number in zip(rows, numbers, strict=True)
        ],
        batch_size=BULK,
    )
    orders.record_creation(offer_id=offer.pk, at=now, reason="group-buy succeeded")
    active.update(status=Claim.Status.ORDERED, unit_price=price, ended_at=now)
    for claim_id, discount in discounts.items():  # the few claims with a coupon
        Claim.objects.filter(pk=claim_id).update(discount=discount)
    # Thousands of buyers are told by a worker after the commit, not inside the close.
    from community_commerce.tasks import notify_group_buy_success

    notify_group_buy_success.delay_on_commit(offer.pk)


def tell_group_buy_success(*, offer_id, batch=BULK) -> int:
    """Each buyer of a succeeded group-buy: their order, its total, where to pay.
    Safe to run twice (a redelivered task): a buyer told about an order is skipped."""
    offer = Offer.objects.get(pk=offer_id)
    message = gettext_noop(
        "The group-buy “%(title)s” succeeded at %(price)s %(currency)s. Your order %(number)s: "
        "%(quantity)d for %(total)s %(currency)s. Open it to see how to pay."
    )
    url_of = orders.order_url_maker()
    told = 0
    rows = (
        Order.objects.filter(offer_id=offer_id)
        .order_by("id")
        .values_list("id", "buyer_id", "number", "quantity", "total")
    )
    items = []
    for order_id, buyer_id, number, quantity, total in rows.iterator(chunk_size=batch):
        values = {
            "title": offer.title,
            "price": fmt(offer.result_unit_price, offer.currency),
            "currency": offer.currency,
            "number": number,
            "quantity": quantity,
            "total": fmt(total, offer.currency),
        }
        items.append((buyer_id, message, values, url_of(order_id)))
        if len(items) >= batch:
            told += _tell_once(items)
            items = []
    return told + _tell_once(items)


def _tell_once(items) -> int:
    done = get_adapter().already_notified(kind="offer_succeeded", urls=[url for _b, _m, _p, url in items])
    fresh = [item for item in items if item[3] not in done]
    get_adapter().notify_each(kind="offer_succeeded", items=fresh)
    return len(fresh)


def _announce_close(offer):
    if offer.status == Offer.Status.SUCCEEDED:
        message = gettext_noop("Group-buy succeeded: %(units)d units at %(price)s")
        # The currency travels with the price: stored params are shown in every reader's language.
        params = {"units": offer.sold, "price": f"{fmt(offer.result_unit_price, offer.currency)} {offer.currency}"}
    elif offer.status == Offer.Status.FAILED:
        message = gettext_noop("Group-buy failed: %(units)d of %(needed)d units committed")
        params = {"units": offer.sold, "needed": offer.terms["min_quantity"]}
    elif offer.status == Offer.Status.SOLD_OUT:
        message = gettext_noop("%(kind)s ended, sold out: %(units)d units")
        params = {"kind": _kind(offer), "units": offer.sold}
    else:
        message = gettext_noop("%(kind)s ended: %(units)d of %(stock)d units sold")
        params = {"kind": _kind(offer), "units": offer.sold, "stock": offer.stock or 0}
    get_adapter().post_thread_event(thread_id=offer.thread_id, message=message, params=params)


def _kind(offer) -> dict:
    """The offer's kind as a param translated on display: its English label (the msgid)."""
    with translation.override(None):  # no catalogue: the source string itself
        return get_adapter().label(str(offer.get_kind_display()))


def cancel_offer(*, offer_id, actor, reason) -> bool:
    """Its merchant or staff cancel: claims released, open orders cancelled (paid ones refunded), buyers told why."""
    reason = " ".join(str(reason or "").split())[:300]
    if not reason:
        raise InvalidInput(fields={"reason": [_("Tell the buyers why.")]})
    offer = Offer.objects.select_related("merchant").filter(pk=offer_id).first()
    if offer is None:
        raise NotFound(_("No such offer."))
    if not (actor.is_staff or offer.merchant.user_id == actor.pk):
        raise NotAllowed(_("Only its merchant or staff can cancel this offer."))
    by = "merchant" if offer.merchant.user_id == actor.pk else "staff"
    changed = _cancel(offer, reason=reason, by=by)
    if changed is None:
        raise Conflict(_("This offer has already ended."), code=errors.CLOSED)
    return changed


def cancel_for(*, offer_id, reason) -> bool:
    """The plugin cancels an offer that is not final yet, with one of its own reasons
    (community_commerce.reasons: its thread is gone). True only for the call that
    cancelled it; an offer that ended or was cancelled meanwhile is left as it is."""
    offer = Offer.objects.select_related("merchant").filter(pk=offer_id).first()
    return bool(offer and _cancel(offer, reason=reason, by="system"))


_CANCELLED_BY = {
    "merchant": gettext_noop("%(kind)s cancelled by the merchant: %(reason)s"),
    "staff": gettext_noop("%(kind)s cancelled by the forum staff: %(reason)s"),
}


def _cancel(offer, *, reason, by) -> bool | None:
    """The cancellation itself, one conditional transition: True when this call cancelled
    the offer, False when it was cancelled already, None when it had ended otherwise.
    ``by``: "merchant", "staff" or "system" (a reason of the plugin's own, translated
    for each reader; no thread event then: the thread may be gone)."""
    now = timezone.now()
    system = by == "system"
    with transaction.atomic():
        changed = (
            Offer.objects.filter(pk=offer.pk, closed_at__isnull=True)
            .exclude(status=Offer.Status.CANCELLED)
            .update(status=Offer.Status.CANCELLED, closed_at=now, cancel_reason=reason)
        )
        if not changed:
            offer.refresh_from_db()
            return False if offer.status == Offer.Status.CANCELLED else None
        offer_snapshot.forget(offer.pk)
        active = Claim.objects.filter(offer_id=offer.pk, status=Claim.Status.ACTIVE)
        held = list(active.values_list("id", "buyer_id"))
        buyers = {buyer_id for _id, buyer_id in held}
        active.update(status=Claim.Status.RELEASED, ended_at=now)
        coupons.release(claim_ids=[claim_id for claim_id, _buyer in held], now=now)
        if offer.kind in GAME_CANCELLERS:  # open teams fail; guesses get their points back
            import_string(GAME_CANCELLERS[offer.kind])(offer=offer, now=now)
        if not system:
            get_adapter().post_thread_event(
                thread_id=offer.thread_id,
                message=_CANCELLED_BY[by],
                params={"kind": _kind(offer), "reason": reason},
            )
    # Each open order ends in its own transaction (order row first, then the offer): cancelled
    # while unpaid, refunded once paid.
    open_orders = Order.objects.filter(offer_id=offer.pk, status__in=(Order.Status.PENDING_PAYMENT, Order.Status.PAID))
    for order_id, buyer_id, status in open_orders.values_list("id", "buyer_id", "status"):
        orders.call_off(order_id=order_id, actor=None, reason=reason, status=status)
        buyers.discard(buyer_id)  # told by the order's own notification
    shown = get_adapter().label(reason) if system else reason
    get_adapter().notify(
        recipients=buyers,
        kind="offer_cancelled",
        message=gettext_noop("“%(title)s” was cancelled: %(reason)s"),
        params={"title": offer.title, "reason": shown},
        url=orders.my_deals_url() if system else offer.get_absolute_url(),
    )
    if system:  # the merchant did not do it: they are told too
        get_adapter().notify(
            recipients=[offer.merchant.user_id],
            kind="offer_cancelled",
            message=gettext_noop("Your offer “%(title)s” was cancelled: %(reason)s"),
            params={"title": offer.title, "reason": shown},
            url=orders.merchant_dashboard_url(),
        )
    return True


def expire_reservations(*, now=None, limit=500) -> int:
    """Unpaid reservations past their time expire; their units go back on sale."""
    now = now or timezone.now()
    due = Order.objects.filter(status=Order.Status.PENDING_PAYMENT, payment_due_at__lte=now).values_list(
        "id", flat=True
    )[:limit]
    expired = 0
    for order_id in list(due):
        try:
            _order, changed = orders.transition(
                order_id=order_id, to_status=Order.Status.EXPIRED, actor=None, reason="", now=now
            )
        except Conflict:  # paid or cancelled meanwhile: it is no longer ours to expire
            continue
        except Exception:  # one broken order must not block the others
            log.exception("expiring order %s failed; the next sweep tries again", order_id)
            continue
        expired += changed
    return expired
