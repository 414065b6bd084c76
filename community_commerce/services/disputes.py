"""Disputes: the buyer says an order went wrong; staff settle it.

The buyer opens one on a paid or shipped order (or a completed one within REFUND_DAYS),
with a reason and details: one dispute per order, ever, and the order becomes
``disputed``. The buyer, the merchant and the dispute's handlers (the site's staff and the
forum's moderators: ``ForumAdapter.is_moderator``) write on its page; each message tells
the others, each in their own language. A handler who is not a party resolves it:
*refund* makes the order ``refunded`` and gives back everything it took, once
(services/refunds.py); *reject* sends it back where it was. Each step is one conditional
transition of the dispute's row, in the same transaction as the order's own move (which
writes its OrderEvent), so resolving twice, or twice at once, settles it once.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community_commerce import errors, reasons
from community_commerce.adapters import get_adapter
from community_commerce.conf import conf
from community_commerce.errors import Conflict, InvalidInput, NotAllowed, NotFound
from community_commerce.models import Dispute, DisputeMessage, Order
from community_commerce.services import orders, reputation

S = Order.Status
D = Dispute.Status
DETAILS_MAX = 2000
BODY_MAX = 2000
OUTCOMES = {"refund": D.REFUNDED, "reject": D.REJECTED}
DISPUTABLE = (S.PAID, S.SHIPPED, S.COMPLETED)

OPENED = gettext_noop("The buyer opened a dispute about order %(number)s (%(reason)s): “%(details)s”")
MESSAGE = gettext_noop("New message on the dispute about order %(number)s: “%(excerpt)s”")
SETTLED = {
    D.REFUNDED: gettext_noop("The dispute about order %(number)s is settled: the order is refunded. %(reason)s"),
    D.REJECTED: gettext_noop("The dispute about order %(number)s is settled: rejected, the order goes on. %(reason)s"),
}


def handles(user) -> bool:
    """Whether the user may handle disputes between others: staff and the forum's moderators."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_staff or get_adapter().is_moderator(user)


def side_of(user, dispute) -> str | None:
    """ "buyer", "merchant", "staff" (a handler who is no party), or None. A party is a party:
    a moderator who sold the order is its merchant here."""
    order = dispute.order
    if user is None or not user.is_authenticated:
        return None
    if order.merchant.user_id == user.pk:
        return DisputeMessage.Side.MERCHANT
    if order.buyer_id == user.pk:
        return DisputeMessage.Side.BUYER
    return DisputeMessage.Side.STAFF if handles(user) else None


def get_for(user, dispute_id) -> Dispute:
    """The dispute if this user is its buyer, its merchant or a handler; else not found."""
    dispute = (
        Dispute.objects.select_related("order", "order__merchant", "order__buyer", "order__offer")
        .filter(pk=dispute_id)
        .first()
    )
    if dispute is None or side_of(user, dispute) is None:
        raise NotFound(_("No such dispute."))
    return dispute


def of_order(user, order_id) -> Dispute:
    """The dispute of an order this user may see, or not found."""
    dispute_id = Dispute.objects.filter(order_id=order_id).values_list("pk", flat=True).first()
    if dispute_id is None:
        raise NotFound(_("No such dispute."))
    return get_for(user, dispute_id)


def completed_at(order):
    return order.events.filter(to_status=S.COMPLETED).order_by("-at", "-id").values_list("at", flat=True).first()


def _refusal(order, now) -> Conflict | None:
    """Why this order cannot be disputed now, or None when it can."""
    if Dispute.objects.filter(order_id=order.pk).exists():
        return Conflict(_("This order has a dispute already: add to it on its page."), code=errors.ALREADY_DISPUTED)
    if order.status == S.PENDING_PAYMENT:
        return Conflict(_("This order is not paid yet: cancel it instead."), code=errors.NOT_PAID)
    if order.status not in DISPUTABLE:
        return Conflict(_("Only a paid, shipped or completed order can be disputed."), code=errors.NOT_DISPUTABLE)
    if order.status == S.COMPLETED:
        done = completed_at(order)
        if done is None or done < now - timedelta(days=conf.REFUND_DAYS):
            return Conflict(
                _("Disputes are open for %(days)d days after an order is completed; that time is over.")
                % {"days": conf.REFUND_DAYS},
                code=errors.REFUND_WINDOW_CLOSED,
            )
    return None


def may_open(user, order, now=None) -> bool:
    """Whether to offer this user "Open a dispute" on the order's page."""
    return orders.role_of(user, order) == "buyer" and _refusal(order, now or timezone.now()) is None


def _text(value, field, maximum) -> str:
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(fields={field: [_("This field is required.")]})
    if len(text) > maximum:
        raise InvalidInput(fields={field: [_("At most %d characters.") % maximum]})
    return text


def open_dispute(*, order_id, buyer, reason, details, now=None) -> Dispute:
    """The buyer's dispute; the order becomes ``disputed``. The merchant and the handlers are told."""
    now = now or timezone.now()
    order = orders.get_for(buyer, order_id)
    if orders.role_of(buyer, order) != "buyer":
        raise NotAllowed(_("Only the buyer can open a dispute about an order."), code=errors.NOT_BUYER)
    problems = {}
    if not isinstance(reason, str) or reason not in Dispute.Reason.values:
        problems["reason"] = [_("Choose not_received, not_as_described or other.")]
    try:
        details = _text(details, "details", DETAILS_MAX)
    except InvalidInput as exc:
        problems.update(exc.fields)
    if problems:
        raise InvalidInput(_("The dispute is not valid."), fields=problems)
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("merchant").get(pk=order.pk)  # the order row first
        refusal = _refusal(order, now)
        if refusal is not None:
            raise refusal
        try:
            with transaction.atomic():
                dispute = Dispute.objects.create(
                    order=order, reason=reason, details=details, order_status_before=order.status,
                    opened_by=buyer, created_at=now,
                )  # fmt: skip
        except IntegrityError:
            raise Conflict(_("This order has a dispute already."), code=errors.ALREADY_DISPUTED) from None
        orders.transition(
            order_id=order.pk, to_status=S.DISPUTED, actor=buyer, reason=reasons.DISPUTE_OPENED[reason],
            now=now, dispute=True,
        )  # fmt: skip
        adapter = get_adapter()
        adapter.notify(
            recipients=[order.merchant.user_id, *adapter.moderator_ids()],
            kind="dispute_opened",
            message=OPENED,
            params={
                "number": order.number,
                "reason": reason_param(reason),
                "details": _excerpt(details),
            },
            url=dispute_url(dispute),
            actor=buyer,
        )
        reputation.refresh_on_commit(order.merchant_id)
    return dispute


def post_message(*, dispute_id, author, body, now=None) -> DisputeMessage:
    """A message on the dispute's page from one of its sides; the others are told."""
    now = now or timezone.now()
    dispute = get_for(author, dispute_id)
    body = _text(body, "body", BODY_MAX)
    if not dispute.is_open:
        raise Conflict(_("This dispute is settled."), code=errors.DISPUTE_CLOSED)
    with transaction.atomic():
        message = DisputeMessage.objects.create(
            dispute=dispute, author=author, side=side_of(author, dispute), body=body, created_at=now
        )
        get_adapter().notify(
            recipients=_everyone(dispute),
            kind="dispute_message",
            message=MESSAGE,
            params={"number": dispute.order.number, "excerpt": _excerpt(body)},
            url=dispute_url(dispute),
            actor=author,
        )
    return message


def resolve(*, dispute_id, actor, outcome, reason, now=None) -> tuple[Dispute, bool]:
    """A handler who is no party settles the dispute. Returns (dispute, changed): the same
    decision again changes nothing; a different one on a settled dispute is refused."""
    now = now or timezone.now()
    if not isinstance(outcome, str) or outcome not in OUTCOMES:
        raise InvalidInput(fields={"outcome": [_("Choose refund or reject.")]})
    reason = " ".join(str(reason or "").split())[:300]
    if not reason:
        raise InvalidInput(fields={"reason": [_("Tell the buyer and the merchant why.")]})
    dispute = get_for(actor, dispute_id)
    if side_of(actor, dispute) != DisputeMessage.Side.STAFF:
        raise NotAllowed(_("A dispute is settled by staff who are not part of it."), code=errors.OWN_DISPUTE)
    settled = OUTCOMES[outcome]
    with transaction.atomic():
        won = Dispute.objects.filter(pk=dispute.pk, status=D.OPEN).update(
            status=settled, resolved_at=now, resolved_by=actor, resolution_reason=reason
        )
        if not won:  # settled already, perhaps by the same request sent twice at once
            dispute.refresh_from_db()
            if dispute.status == settled:
                return dispute, False
            raise Conflict(_("This dispute is settled already."), code=errors.DISPUTE_CLOSED)
        to_status = S.REFUNDED if settled == D.REFUNDED else dispute.order_status_before
        orders.transition(
            order_id=dispute.order_id, to_status=to_status, actor=actor, reason=reason, now=now,
            as_role="staff", dispute=True,
        )  # fmt: skip
        get_adapter().notify(
            recipients=_everyone(dispute),
            kind="dispute_settled",
            message=SETTLED[settled],
            params={"number": dispute.order.number, "reason": reason},
            url=dispute_url(dispute),
            actor=actor,
        )
        reputation.refresh_on_commit(dispute.order.merchant_id)
    dispute.refresh_from_db()
    return dispute, True


def _everyone(dispute) -> set[int]:
    """The buyer, the merchant and the handlers: those who wrote on it, or all of them
    while none has (notify leaves the author out)."""
    order = dispute.order
    staff = set(
        dispute.messages.filter(side=DisputeMessage.Side.STAFF).values_list("author_id", flat=True).distinct()
    ) - {None}
    return {order.buyer_id, order.merchant.user_id} | (staff or set(get_adapter().moderator_ids()))


def reason_param(reason) -> dict:
    """A dispute's reason as a param translated on display: its English label (the msgid)."""
    with translation.override(None):  # no catalogue: the source string itself
        return get_adapter().label(str(Dispute.Reason(reason).label))


def _excerpt(text, length=140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def dispute_url(dispute) -> str:
    return reverse("community_commerce:dispute", args=[dispute.pk])
