"""The order pipeline: a dict of allowed transitions and who may make each, one
conditional UPDATE per change, an OrderEvent row for each, and what an order took
given back when it ends without being kept (services/refunds.py)."""

import secrets
from datetime import timedelta

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community_commerce import errors, reasons, rows
from community_commerce.adapters import get_adapter
from community_commerce.conf import conf
from community_commerce.errors import Conflict, InvalidInput, NotAllowed, NotFound
from community_commerce.models import Order, OrderEvent
from community_commerce.money import round_amount
from community_commerce.services import commissions, points, refunds, reputation

S = Order.Status

PIPELINE = {
    S.PENDING_PAYMENT: {S.PAID, S.EXPIRED, S.CANCELLED},
    S.PAID: {S.SHIPPED, S.REFUNDED, S.DISPUTED},
    S.SHIPPED: {S.COMPLETED, S.DISPUTED},
    S.COMPLETED: {S.DISPUTED, S.REFUNDED},
    S.DISPUTED: {S.REFUNDED, S.PAID, S.SHIPPED, S.COMPLETED},
    S.EXPIRED: set(),
    S.CANCELLED: set(),
    S.REFUNDED: set(),
}

# Who may make each change: "buyer", "merchant" (the order's own), "staff" (the site's staff;
# a dispute's handlers, moderators included, through services/disputes.py) and "system" (the
# plugin itself: the sweeper, an offer cancelled). One's own part comes first (role_of).
ALLOWED_BY = {
    (S.PENDING_PAYMENT, S.PAID): {"merchant", "staff"},
    (S.PENDING_PAYMENT, S.CANCELLED): {"buyer", "merchant", "staff", "system"},
    (S.PENDING_PAYMENT, S.EXPIRED): {"system"},
    (S.PAID, S.SHIPPED): {"merchant", "staff"},
    (S.PAID, S.REFUNDED): {"merchant", "staff", "system"},  # with a reason; system: its offer was cancelled
    (S.PAID, S.DISPUTED): {"buyer"},
    (S.SHIPPED, S.COMPLETED): {"buyer", "staff", "system"},  # received; system: AUTO_RECEIVE_DAYS after shipping
    (S.SHIPPED, S.DISPUTED): {"buyer"},
    (S.COMPLETED, S.DISPUTED): {"buyer"},  # within REFUND_DAYS of completion (services/disputes.py)
    (S.COMPLETED, S.REFUNDED): {"staff"},  # a refund after completion, with a reason
    (S.DISPUTED, S.REFUNDED): {"staff"},  # the dispute resolved: refund
    (S.DISPUTED, S.PAID): {"staff"},  # the dispute rejected: back where the order was
    (S.DISPUTED, S.SHIPPED): {"staff"},
    (S.DISPUTED, S.COMPLETED): {"staff"},
}
# Moves made only by services/disputes.py, with the dispute's own row in the same transaction.
THROUGH_DISPUTE = frozenset(move for move in ALLOWED_BY if S.DISPUTED in move)
REASON_REQUIRED = frozenset({S.REFUNDED})  # the buyer is told why their money comes back

# The API's action names.
ACTIONS = {"pay": S.PAID, "ship": S.SHIPPED, "complete": S.COMPLETED, "cancel": S.CANCELLED}

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


def new_numbers(claim_ids) -> list[str]:
    """Readable order numbers such as CC-00123-K7QF: the claim's id makes each unique
    (no collision to retry), the random tail makes it hard to guess."""
    claim_ids = list(claim_ids)
    noise = secrets.token_bytes(4 * len(claim_ids))
    return [
        f"{conf.ORDER_PREFIX}-{claim_id:05d}-" + "".join(_ALPHABET[b % 32] for b in noise[4 * i : 4 * i + 4])
        for i, claim_id in enumerate(claim_ids)
    ]


def new_number(claim_id: int) -> str:
    return new_numbers([claim_id])[0]


def build_order(
    *, claim_id, buyer_id, quantity, offer, unit_price, now, payment_due_at=None, number=None,
    discount=0, channel="forum", link_id=None, coupon_id=None,
) -> Order:  # fmt: skip
    """An unsaved order. The unit price is put in the currency's decimals first (half up),
    so the total, price x quantity less the coupon's discount, is exact in them too (the
    cc_order_total_net CHECK)."""
    unit_price = round_amount(unit_price, offer.currency)
    discount = round_amount(discount, offer.currency)
    return Order(
        number=number or new_number(claim_id),
        offer_id=offer.pk,
        claim_id=claim_id,
        buyer_id=buyer_id,
        merchant_id=offer.merchant_id,
        quantity=quantity,
        unit_price=unit_price,
        discount=discount,
        total=round_amount(unit_price * quantity, offer.currency) - discount,
        currency=offer.currency,
        channel=channel,
        link_id=link_id,
        coupon_id=coupon_id,
        payment_due_at=payment_due_at,
        created_at=now,
        updated_at=now,
    )


def create_reservation_order(*, claim, offer, unit_price, now) -> Order:
    """The order of a flash-sale or Dutch-auction claim: waits for payment, then expires."""
    due = now + timedelta(minutes=offer.terms.get("reservation_minutes", 15))
    order = build_order(
        claim_id=claim.pk,
        buyer_id=claim.buyer_id,
        quantity=claim.quantity,
        offer=offer,
        unit_price=unit_price,
        now=now,
        payment_due_at=due,
        discount=claim.discount,
        channel=claim.channel,
        link_id=claim.link_id,
        coupon_id=claim.coupon_id,
    )
    rows.insert(order)  # the claim's hot path: plain INSERTs, no ORM save machinery (rows.py)
    rows.insert(OrderEvent(order=order, at=now, actor_id=claim.buyer_id, to_status=order.status, reason="claimed"))
    return order


def _status_label(status) -> str:
    """An order status as members read it ("Waiting for payment"), in their language."""
    return str(S(status).label) if status in S.values else str(status)


def record_creation(*, offer_id, at, reason) -> int:
    """The first audit event of every order of an offer that has none yet, in one
    statement (a group-buy's close creates thousands of orders at once)."""
    orders_table = connection.ops.quote_name(Order._meta.db_table)
    events_table = connection.ops.quote_name(OrderEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {events_table} (order_id, at, actor_id, from_status, to_status, reason) "  # noqa: S608
            f"SELECT o.id, %s, NULL, '', o.status, %s FROM {orders_table} o "
            f"WHERE o.offer_id = %s AND NOT EXISTS (SELECT 1 FROM {events_table} e WHERE e.order_id = o.id)",
            [at, reason, offer_id],
        )
        return cursor.rowcount


def role_of(user, order) -> str | None:
    """The user's part in the order: "merchant", "buyer", "staff", "system" (no user), or
    None (a stranger). One's own part comes first: a staff member who bought is its buyer."""
    if user is None:
        return "system"
    if order.merchant.user_id == user.pk:
        return "merchant"
    if order.buyer_id == user.pk:
        return "buyer"
    if user.is_staff:
        return "staff"
    return None


def get_for(user, order_id) -> Order:
    """The order if this user is its buyer, its merchant or staff; else not found."""
    order = Order.objects.select_related("merchant", "offer", "buyer", "coupon").filter(pk=order_id).first()
    if order is None or role_of(user, order) is None:
        raise NotFound(_("No such order."))
    return order


def transition(
    *, order_id, to_status, actor=None, reason="", now=None, as_role=None, dispute=False
) -> tuple[Order, bool]:
    """Move an order along the pipeline. Returns (order, changed); running it
    twice returns changed=False the second time and writes nothing.

    ``as_role``: the role a service established for ``actor`` itself (a moderator handling
    a dispute acts as "staff" there). ``dispute``: the caller is services/disputes.py, which
    alone makes the moves into and out of ``disputed``. An order that ends without being kept
    (UNWOUND) gives back what it took through services/refunds.py, in this transaction."""
    now = now or timezone.now()
    if actor is not None and as_role is None:
        order = get_for(actor, order_id)
    else:
        order = Order.objects.select_related("merchant").filter(pk=order_id).first()
        if order is None:
            raise NotFound(_("No such order."))
    if order.status == to_status:
        return order, False
    move = (order.status, to_status)
    allowed = ALLOWED_BY.get(move, set())
    role = as_role or role_of(actor, order)
    staff_only = allowed == {"staff"}  # to anyone else such a step does not exist: 409, not 403
    if to_status not in PIPELINE.get(order.status, set()) or (staff_only and role != "staff"):
        if move == (S.PAID, S.CANCELLED):
            message = _("A paid order is not cancelled but refunded, with a reason for the buyer.")
        else:
            message = _("An order cannot go from “%(from)s” to “%(to)s”.") % {
                "from": _status_label(order.status),
                "to": _status_label(to_status),
            }
        raise Conflict(message, code=errors.INVALID_TRANSITION)
    if move in THROUGH_DISPUTE and not dispute:
        raise Conflict(_("Disputes are opened and settled on the dispute's own page."), code=errors.INVALID_TRANSITION)
    if role not in allowed:
        raise NotAllowed(_("You may not make this change to the order."))
    reason = " ".join(str(reason or "").split())[:300]
    if to_status in REASON_REQUIRED and not reason:
        raise InvalidInput(fields={"reason": [_("Tell the buyer why.")]})
    with transaction.atomic():
        changed = Order.objects.filter(pk=order.pk, status=order.status).update(status=to_status, updated_at=now)
        if not changed:  # someone else moved it first
            order.refresh_from_db()
            if order.status == to_status:
                return order, False
            raise Conflict(_("The order changed meanwhile; look again."), code=errors.INVALID_TRANSITION)
        from_status = order.status
        OrderEvent.objects.create(
            order=order, at=now, actor=actor, from_status=from_status, to_status=to_status, reason=reason
        )
        commissions.follow_order(
            order_id=order.pk, from_status=from_status, to_status=to_status, reason=reason, now=now
        )
        points.follow_order(order_id=order.pk, to_status=to_status, now=now)
        order.status = to_status
        order.updated_at = now
        if to_status in refunds.UNWOUND:
            refunds.unwind(
                order=order, from_status=from_status, to_status=to_status, actor=actor, reason=reason, now=now
            )
        if not dispute:  # a dispute's moves are told by services/disputes.py, with the dispute's page
            _tell(order=order, actor=actor, reason=reason)
        reputation.touch(order.merchant_id)
    return order, True


def call_off(*, order_id, actor=None, reason="", status=None) -> tuple[Order, bool]:
    """End an order however it stands: one waiting for payment is cancelled, a paid one (or, by
    staff, a completed one) refunded: an offer cancelled, the admin's "cancel or refund".
    ``status``: the one the caller read, to save a query; if the order moved since, it is
    read again once."""

    def end(status):
        if status is None:
            status = Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
        to_status = S.CANCELLED if status == S.PENDING_PAYMENT else S.REFUNDED
        return transition(order_id=order_id, to_status=to_status, actor=actor, reason=reason)

    try:
        return end(status)
    except Conflict:
        if status is None:
            raise
        return end(None)


def transition_many(*, order_ids, to_status, actor, merchant=None, reason="", now=None) -> dict:
    """Move many orders to ``to_status`` (a merchant's "mark paid" on a batch),
    each with :func:`transition` in its own transaction, so one refusal never
    undoes the others. With ``merchant``, orders of any other merchant are
    skipped as not found, whoever the actor is (staff included).

    Returns ``{"changed": [ids], "skipped": {id: reason}}``, the reason being
    "already" (it has that status), "not_found", "not_allowed", or the status
    the order is in when that status does not lead to ``to_status``."""
    ids = list(dict.fromkeys(order_ids))
    mine = Order.objects.filter(pk__in=ids)
    if merchant is not None:
        mine = mine.filter(merchant=merchant)
    known = set(mine.values_list("pk", flat=True))
    result = {"changed": [], "skipped": {}}
    for order_id in ids:
        if order_id not in known:
            result["skipped"][order_id] = "not_found"
            continue
        try:
            _order, changed = transition(order_id=order_id, to_status=to_status, actor=actor, reason=reason, now=now)
        except NotFound:
            result["skipped"][order_id] = "not_found"
        except NotAllowed:
            result["skipped"][order_id] = "not_allowed"
        except Conflict:
            result["skipped"][order_id] = Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
        else:
            if changed:
                result["changed"].append(order_id)
            else:
                result["skipped"][order_id] = "already"
    return result


_MESSAGES = {  # msgids: each member reads them in their own language
    S.PAID: gettext_noop("Order %(number)s is paid."),
    S.SHIPPED: gettext_noop("Order %(number)s is on its way."),
    S.COMPLETED: gettext_noop("Order %(number)s is completed."),
    S.CANCELLED: gettext_noop("Order %(number)s was cancelled."),
    S.EXPIRED: gettext_noop("Order %(number)s expired: it was not paid in time and the units went back on sale."),
    S.REFUNDED: gettext_noop("Order %(number)s was refunded."),
}
# A status message followed by the reason given (the reason is shown as it was written).
_WITH_REASON = gettext_noop("%(message)s %(reason)s")


def _tell(*, order, actor, reason):
    adapter = get_adapter()
    message, params = _MESSAGES[order.status], {"number": order.number}
    if reason:
        shown = adapter.label(reason) if reasons.is_system(reason) else reason  # ours: in each reader's language
        message, params = _WITH_REASON, {"message": adapter.label(message, params), "reason": shown}
    recipients = {order.buyer_id, order.merchant.user_id} - {getattr(actor, "pk", None)}
    adapter.notify(
        recipients=recipients, kind=f"order_{order.status}", message=message, params=params, url=order_url(order)
    )


def order_url(order) -> str:
    return reverse("community_commerce:order", args=[order.pk])


def my_deals_url() -> str:
    return reverse("community_commerce:my_orders")


def merchant_dashboard_url() -> str:
    return reverse("community_commerce:merchant_dashboard")


def order_url_maker():
    """order id -> its page's URL, reversing the route once for thousands of orders."""
    pattern = reverse("community_commerce:order", args=[987654321])
    head, tail = pattern.split("987654321")
    return lambda order_id: f"{head}{order_id}{tail}"
