"""Receipt: the buyer confirms that a shipped order arrived, which completes it.

A merchant cannot complete an order on their own word. An order neither confirmed nor
disputed AUTO_RECEIVE_DAYS after it shipped is completed by the sweeper, once, with an
event that says so; the buyer is reminded AUTO_RECEIVE_REMIND_DAYS before. Only shipped
orders are completed by the clock, so a disputed one never is (Trustap's complaint
period, without OpenBazaar's "wait out the buyer": the buyer is told before it runs out).
The wait counts from the latest move into ``shipped``: a rejected dispute starts it again.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community_commerce import errors, reasons
from community_commerce.adapters import get_adapter
from community_commerce.conf import conf
from community_commerce.errors import Conflict, NotAllowed
from community_commerce.models import Order, OrderEvent, ReceiptReminder
from community_commerce.services import orders

log = logging.getLogger(__name__)
S = Order.Status

REMINDER = gettext_noop(
    "Did order %(number)s arrive? Confirm receipt, or open a dispute if something is wrong. "
    "Otherwise it completes by itself on %(date)s."
)


def shipped_at():
    """The moment an order last moved into ``shipped`` (a subquery for annotate)."""
    return Subquery(
        OrderEvent.objects.filter(order=OuterRef("pk"), to_status=S.SHIPPED).order_by("-at", "-id").values("at")[:1]
    )


def receive(*, order_id, buyer, now=None) -> tuple[Order, bool]:
    """The buyer has the order: shipped -> completed. Confirming again changes nothing."""
    order = orders.get_for(buyer, order_id)
    if orders.role_of(buyer, order) != "buyer":
        raise NotAllowed(_("Only the buyer confirms that an order arrived."), code=errors.NOT_BUYER)
    if order.status == S.COMPLETED:
        return order, False
    if order.status != S.SHIPPED:
        raise Conflict(_("Only a shipped order can be received."), code=errors.NOT_SHIPPED)
    return orders.transition(order_id=order.pk, to_status=S.COMPLETED, actor=buyer, now=now)


def completes_at(order) -> object | None:
    """When a shipped order completes by itself (None for one that is not shipped)."""
    if order.status != S.SHIPPED:
        return None
    last = order.events.filter(to_status=S.SHIPPED).order_by("-at", "-id").values_list("at", flat=True).first()
    return last + timedelta(days=conf.AUTO_RECEIVE_DAYS) if last else None


def auto_receive(*, now=None, limit=500) -> int:
    """Complete every shipped order whose wait is over, each in its own transaction (one
    failure never blocks the rest). Returns how many this call completed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.AUTO_RECEIVE_DAYS)
    due = (
        Order.objects.filter(status=S.SHIPPED)
        .annotate(shipped_at=shipped_at())
        .filter(shipped_at__lte=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    done = 0
    for order_id in list(due):
        try:
            _order, changed = orders.transition(
                order_id=order_id, to_status=S.COMPLETED, actor=None, reason=reasons.AUTO_RECEIVED, now=now
            )
        except Conflict:  # received or disputed meanwhile: no longer the clock's to complete
            continue
        except Exception:
            log.exception("completing order %s failed; the next sweep tries again", order_id)
            continue
        done += changed
    return done


def send_reminders(*, now=None, limit=500) -> int:
    """Remind the buyers of shipped orders that complete by themselves within
    AUTO_RECEIVE_REMIND_DAYS, once per order and shipment: the orders are locked
    (``skip_locked``: two sweeps never take the same ones), the reminder rows written and
    the notices delivered in one transaction."""
    now = now or timezone.now()
    wait = timedelta(days=conf.AUTO_RECEIVE_DAYS)
    start = now - wait + timedelta(days=conf.AUTO_RECEIVE_REMIND_DAYS)
    reminded = ReceiptReminder.objects.filter(order=OuterRef("pk"), shipped_at=OuterRef("shipped_at"))
    with transaction.atomic():
        due = list(
            Order.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=S.SHIPPED)
            .annotate(shipped_at=shipped_at())
            .filter(shipped_at__lte=start, shipped_at__gt=now - wait)
            .exclude(Exists(reminded))
            .order_by("id")
            .values_list("id", "buyer_id", "number", "shipped_at")[:limit]
        )
        if not due:
            return 0
        ReceiptReminder.objects.bulk_create(
            [ReceiptReminder(order_id=order_id, shipped_at=at, sent_at=now) for order_id, _b, _n, at in due]
        )
        url_of = orders.order_url_maker()
        items = [
            (
                buyer_id,
                REMINDER,
                {"number": number, "date": timezone.localdate(at + wait).isoformat()},
                url_of(order_id),
            )
            for order_id, buyer_id, number, at in due
        ]
        get_adapter().deliver_each(kind="order_receive_reminder", items=items)
    return len(due)
