"""The commission programme at work: what a paid order earns, when it is approved,
and what a cancellation takes back (shared/API.md, "Commissions and reports").

- :func:`record_for_order` (an order is paid): the forum's CPS, the referral CPS of the
  member whose link brought the sale, and the CPA of the member who brought the buyer
  to sign up (their first order), each ``pending`` or ``fraud`` with its reason. One
  INSERT ... ON CONFLICT DO NOTHING under the unique constraints: a paid event
  delivered twice, or by two workers at once, leaves one entry each.
- :func:`approve_due` (the sweeper): pending entries of orders completed more than
  REFUND_DAYS ago become ``approved``, one UPDATE per batch.
- :func:`reverse_for_order` (an order is cancelled or refunded): pending entries turn
  ``void``; approved or paid ones get a ``reversed`` entry of the opposite sign, which
  the next payout deducts. Idempotent: a second call changes nothing.

Who pays: the order's merchant, every entry (the forum passes members' rewards on).
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, Exists, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from community_commerce import reasons
from community_commerce.adapters import get_adapter
from community_commerce.conf import conf
from community_commerce.errors import NotFound
from community_commerce.models import CommissionEntry, Order, OrderEvent, Programme, Referral, ShareLink
from community_commerce.models.ledger import LIVE_CPA, STANDING
from community_commerce.money import round_amount

log = logging.getLogger(__name__)

E = CommissionEntry
PAID_STATUSES = (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.COMPLETED)
HUNDRED = Decimal(100)

# The fraud rules: code -> the reason the operator reads (English msgids, shown translated).
SELF_REFERRAL = "self_referral"
MERCHANT_OWN_PURCHASE = "merchant_purchase"
MERCHANT_OWN_OFFER = "merchant_offer"
EMAIL_ALIAS = "email_alias"
VELOCITY = "velocity"
RULES = {
    SELF_REFERRAL: gettext_noop("Self-referral: the buyer came through their own link."),
    MERCHANT_OWN_PURCHASE: gettext_noop("The merchant's own purchase."),
    MERCHANT_OWN_OFFER: gettext_noop("The referrer is the merchant of the offer."),
    EMAIL_ALIAS: gettext_noop("Buyer and referrer share one email address (an alias such as a+b@x and a@x)."),
    VELOCITY: gettext_noop("More than %(n)d sign-ups through this link within an hour."),
}


# --- the programme ---------------------------------------------------------------------------------


def programme() -> dict:
    """The rates in force: the admin's programme where it sets one, else the settings."""
    row = Programme.objects.prefetch_related("category_rates").order_by("pk").first()
    by_category = dict(conf.FORUM_CPS_PERCENT_BY_CATEGORY)
    if row is not None:
        by_category.update({r.category_id: r.forum_cps_percent for r in row.category_rates.all()})
    return {
        "forum_cps_percent": _set(row, "forum_cps_percent", conf.FORUM_CPS_PERCENT),
        "referral_cps_percent": _set(row, "referral_cps_percent", conf.REFERRAL_CPS_PERCENT),
        "cpa_amount": _set(row, "cpa_amount", conf.CPA_AMOUNT),
        "by_category": by_category,
    }


def _set(row, field, default):
    value = getattr(row, field, None) if row is not None else None
    return default if value is None else value


def forum_rate(rates, thread_id) -> Decimal:
    """The forum's rate for an offer of this thread: its category's, else the general one."""
    if rates["by_category"]:
        try:
            category_id = get_adapter().get_thread(thread_id).category_id
        except NotFound:  # the thread is gone: the general rate
            category_id = None
        if category_id in rates["by_category"]:
            return rates["by_category"][category_id]
    return rates["forum_cps_percent"]


def percent_of(base, rate, currency) -> Decimal:
    return round_amount(Decimal(base) * Decimal(rate) / HUNDRED, currency)


# --- an order is paid ------------------------------------------------------------------------------


def record_for_order(*, order_id, now=None) -> list[CommissionEntry]:
    """Write the entries a paid order earns (none twice); returns the order's entries."""
    now = now or timezone.now()
    order = Order.objects.select_related("merchant", "buyer", "link__owner", "offer").filter(pk=order_id).first()
    if order is None or order.status not in PAID_STATUSES:
        return []  # a late delivery for an order cancelled meanwhile earns nothing
    rates = programme()
    buyer, merchant_user = order.buyer, order.merchant.user_id
    entries = []

    rate = forum_rate(rates, order.offer.thread_id)
    rule = MERCHANT_OWN_PURCHASE if buyer.pk == merchant_user else ""
    entries.append(_entry(order, now, beneficiary=E.Beneficiary.FORUM, kind=E.Kind.CPS, rate=rate, rule=rule))

    link = order.link
    # The link brought the sale only when it decided the order's channel (a coupon's channel wins):
    # the same sale is never counted for two promotions.
    if link is not None and link.kind == ShareLink.Kind.REFERRAL and order.channel == link.channel:
        entries.append(
            _entry(
                order, now, beneficiary=E.Beneficiary.MEMBER, kind=E.Kind.CPS, member=link.owner, link=link,
                rate=rates["referral_cps_percent"], rule=_referral_fraud(order, link.owner),
            )
        )  # fmt: skip

    referral = Referral.objects.select_related("link", "referrer").filter(member=buyer).first()
    if referral is not None and referral.link.kind == ShareLink.Kind.REFERRAL and rates["cpa_amount"] > 0:
        already = E.objects.filter(buyer=buyer, kind=E.Kind.CPA, reverses=None, status__in=LIVE_CPA).exists()
        if not already:
            rule = _referral_fraud(order, referral.referrer) or _velocity(referral)
            entries.append(
                _entry(
                    order, now, beneficiary=E.Beneficiary.MEMBER, kind=E.Kind.CPA, member=referral.referrer,
                    link=referral.link, amount=round_amount(rates["cpa_amount"], order.currency), rule=rule,
                )
            )  # fmt: skip

    entries = [e for e in entries if e.amount > 0]
    if entries:
        with transaction.atomic():  # ON CONFLICT DO NOTHING: the unique constraints decide which delivery writes
            E.objects.bulk_create(entries, ignore_conflicts=True)
            recount_owed(order_id=order.pk)
    return list(E.objects.filter(order=order, reverses=None).order_by("id"))


def _entry(order, now, *, beneficiary, kind, rate=None, amount=None, member=None, link=None, rule=""):
    if amount is None:
        amount = percent_of(order.total, rate, order.currency)
    reason = ""
    if rule:
        reason = RULES[rule] % {"n": conf.CPA_MAX_PER_LINK_HOUR} if rule == VELOCITY else RULES[rule]
    return E(
        order=order, merchant_id=order.merchant_id, offer_id=order.offer_id, buyer_id=order.buyer_id,
        channel=order.channel, currency=order.currency, order_created_at=order.created_at,
        beneficiary=beneficiary, member=member, kind=kind, link=link,
        base=order.total if rate is not None else None, rate=rate, amount=amount,
        status=E.Status.FRAUD if rule else E.Status.PENDING, rule=rule, reason=reason, created_at=now,
    )  # fmt: skip


def reason_text(entry) -> str:
    """Why an entry is refused, void or reversed, in the reader's language: a fraud rule's
    text, a reason of the plugin's own (reasons.py), or what a person wrote."""
    if entry.rule in RULES:
        return gettext(RULES[entry.rule]) % {"n": conf.CPA_MAX_PER_LINK_HOUR}
    return reasons.shown(entry.reason)


def email_key(email) -> str:
    """An address without its ``+tag`` and case: ``A+promo@X.org`` and ``a@x.org`` are one person."""
    local, _at, domain = str(email or "").strip().lower().rpartition("@")
    if not local or not domain:
        return ""
    return f"{local.split('+', 1)[0]}@{domain}"


def _referral_fraud(order, referrer) -> str:
    """The first fraud rule a member's reward on this order breaks, or ""."""
    if referrer.pk == order.buyer_id:
        return SELF_REFERRAL
    if order.buyer_id == order.merchant.user_id:
        return MERCHANT_OWN_PURCHASE
    if referrer.pk == order.merchant.user_id:
        return MERCHANT_OWN_OFFER
    buyer_key = email_key(order.buyer.email)
    if buyer_key and buyer_key == email_key(referrer.email):
        return EMAIL_ALIAS
    return ""


def _velocity(referral) -> str:
    """More than CPA_MAX_PER_LINK_HOUR sign-ups through the link in the hour up to this one."""
    since = referral.signed_up_at - timedelta(hours=1)
    signups = Referral.objects.filter(
        link_id=referral.link_id, signed_up_at__gt=since, signed_up_at__lte=referral.signed_up_at
    ).count()
    return VELOCITY if signups > conf.CPA_MAX_PER_LINK_HOUR else ""


# --- the sweeper: approval -------------------------------------------------------------------------


def due_for_approval(now):
    """Pending entries whose order is completed and was completed REFUND_DAYS ago or more."""
    cutoff = now - timedelta(days=conf.REFUND_DAYS)
    completed = OrderEvent.objects.filter(
        order_id=OuterRef("order_id"), to_status=Order.Status.COMPLETED, at__lte=cutoff
    )
    return E.objects.filter(status=E.Status.PENDING, order__status=Order.Status.COMPLETED).filter(Exists(completed))


def approve_due(*, now=None, batch=None, max_batches=20) -> int:
    """Approve what is due, one UPDATE per batch (each its own transaction: a crash loses at
    most the batch under way, which the next run does). Safe to run twice, or in two places."""
    now = now or timezone.now()
    batch = batch or conf.SETTLE_BATCH
    approved = 0
    for _round in range(max_batches):
        ids = due_for_approval(now).order_by("id").values("id")[:batch]
        n = E.objects.filter(pk__in=ids, status=E.Status.PENDING).update(status=E.Status.APPROVED, approved_at=now)
        approved += n
        if n < batch:
            break
    return approved


# --- an order is cancelled or refunded -------------------------------------------------------------


def reverse_for_order(*, order_id, reason="", now=None) -> dict:
    """Take back what an order earned: pending entries turn void, approved or paid ones get a
    reversed entry of the opposite sign (once each: ``reverses`` is unique). Returns the counts."""
    now = now or timezone.now()
    reason = " ".join(str(reason or "").split())[:300]
    with transaction.atomic():
        voided = E.objects.filter(order_id=order_id, status=E.Status.PENDING, reverses=None).update(
            status=E.Status.VOID, voided_at=now, reason=reason
        )
        settled = E.objects.filter(
            order_id=order_id, status__in=(E.Status.APPROVED, E.Status.PAID), reverses=None, reversal__isnull=True
        )
        reversals = [_reversal(e, reason, now) for e in settled]
        if reversals:  # ON CONFLICT DO NOTHING: a reversal written meanwhile by another call stands
            E.objects.bulk_create(reversals, ignore_conflicts=True)
        if voided or reversals:
            recount_owed(order_id=order_id)
    return {"voided": voided, "reversed": len(reversals)}


def recount_owed(*, order_id) -> None:
    """``Order.commissions_owed`` set from the ledger (its standing entries' sum), in the
    transaction of the ledger write it follows: set, not added to, so running it twice, or
    after a delivery that wrote nothing, leaves the same figure. A second delivery's INSERT
    waits for the first one's commit, so its recount reads every entry."""
    owed = E.objects.filter(order_id=OuterRef("pk"), status__in=STANDING).order_by().values("order_id")
    owed = owed.annotate(s=Sum("amount")).values("s")
    money = DecimalField(max_digits=15, decimal_places=3)
    Order.objects.filter(pk=order_id).update(
        commissions_owed=Coalesce(Subquery(owed, output_field=money), Value(0, output_field=money))
    )


def _reversal(entry, reason, now) -> CommissionEntry:
    """The entry that takes ``entry`` back: the same order, beneficiary and kind, the opposite amount."""
    return E(
        order_id=entry.order_id, merchant_id=entry.merchant_id, offer_id=entry.offer_id, buyer_id=entry.buyer_id,
        channel=entry.channel, currency=entry.currency, order_created_at=entry.order_created_at,
        beneficiary=entry.beneficiary, member_id=entry.member_id, kind=entry.kind, link_id=entry.link_id,
        base=entry.base, rate=entry.rate, amount=-entry.amount, status=E.Status.REVERSED, reason=reason,
        reverses=entry, created_at=now,
    )  # fmt: skip


def reverse_step(unwind) -> None:
    """services/refunds.py's "commissions" step: an order that ends after it was paid (refunded,
    by its merchant, staff or a dispute) gives its commissions back; one never paid has none."""
    if unwind.from_status != Order.Status.PENDING_PAYMENT:
        reverse_for_order(order_id=unwind.order.pk, reason=unwind.reason, now=unwind.now)


def follow_order(*, order_id, from_status, to_status, reason="", now=None) -> None:
    """The ledger's part of an order's status change, in the change's transaction: a paid order
    earns its entries (once: a rejected dispute sending it back to ``paid`` adds nothing). What
    it takes back when it ends unkept runs as the refunds step above, with every other reversal."""
    if to_status == Order.Status.PAID:
        record_for_order(order_id=order_id, now=now)
