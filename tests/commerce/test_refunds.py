"""The one extension point of reversals (services/refunds.py): an order that ends without
being kept (expired, cancelled, refunded) runs every step of STEPS once, in order, inside
the transaction that moved it; after-commit steps run once it commits; and each step is
safe to run twice on its own."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community_commerce.errors import Conflict
from community_commerce.models import Claim, ClaimTally, CommissionEntry, Coupon, CouponUse, Offer, Order, OrderEvent
from community_commerce.services import commissions, lifecycle, orders, refunds
from tests.commerce.ledger_support import owed_apart_from_the_ledger
from tests.commerce.trust_support import Shop

pytestmark = pytest.mark.django_db
S = Order.Status

CALLS = []


def record(unwind):
    """A step a later feature might register (a coupon use, a commission, points)."""
    CALLS.append((unwind.order.pk, unwind.from_status, unwind.to_status, unwind.is_refund, unwind.units_back))


def record_after_commit(unwind):
    CALLS.append(("after commit", unwind.order.pk))


@pytest.fixture
def shop():
    return Shop(stock=4)


@pytest.fixture
def registered(monkeypatch):
    CALLS.clear()
    steps = [
        *refunds.STEPS,
        refunds.Step("ledger", f"{__name__}.record"),
        refunds.Step("provider", f"{__name__}.record_after_commit", after_commit=True),
    ]
    monkeypatch.setattr(refunds, "STEPS", steps)
    return CALLS


def test_the_steps_run_in_the_lock_order_of_a_claim():
    names = [step.name for step in refunds.STEPS]
    # the claim decides; then the tally, the coupon's use, the offer row; then the ledger
    assert names[:5] == ["claim", "allowance", "coupon_use", "units", "commissions"]


def test_a_merchant_refund_runs_every_step_once_and_gives_the_units_back(
    shop, registered, django_capture_on_commit_callbacks
):
    order = shop.order(S.PAID, quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        orders.transition(order_id=order.pk, to_status=S.REFUNDED, actor=shop.seller, reason="Out of apples")
        assert registered == [(order.pk, S.PAID, S.REFUNDED, True, 2)]  # in the transaction
    assert registered[-1] == ("after commit", order.pk)
    with django_capture_on_commit_callbacks(execute=True):
        _order, changed = orders.transition(order_id=order.pk, to_status=S.REFUNDED, actor=shop.seller, reason="x")
    assert changed is False
    assert len(registered) == 2  # a second refund runs nothing
    shop.offer.refresh_from_db()
    assert shop.offer.sold == 0
    assert ClaimTally.objects.get(offer=shop.offer, buyer=shop.buyer).taken == 0  # the member may take them again
    assert Claim.objects.get(pk=order.claim_id).status == Claim.Status.CANCELLED


@pytest.mark.parametrize(
    ("status", "move", "refund"),
    [(S.PENDING_PAYMENT, S.CANCELLED, False), (S.PENDING_PAYMENT, S.EXPIRED, False), (S.PAID, S.REFUNDED, True)],
)
def test_every_way_an_order_ends_unkept_goes_through_the_same_door(
    shop, registered, status, move, refund, django_capture_on_commit_callbacks
):
    order = shop.order(status)
    actor = None if move == S.EXPIRED else shop.seller
    with django_capture_on_commit_callbacks(execute=True):
        orders.transition(order_id=order.pk, to_status=move, actor=actor, reason="Because")
    assert registered == [(order.pk, status, move, refund, 1), ("after commit", order.pk)]


def test_a_refund_gives_the_coupon_s_use_back_once(shop):
    coupon = shop.coupon(max_uses=1)
    order = shop.order(S.PAID, coupon=coupon.code)
    assert (Coupon.objects.get(pk=coupon.pk).uses, order.discount) == (1, Decimal("1.00"))
    orders.transition(order_id=order.pk, to_status=S.REFUNDED, actor=shop.seller, reason="Out of apples")
    orders.transition(order_id=order.pk, to_status=S.REFUNDED, actor=shop.seller, reason="Again")
    refunds.unwind(order=order, from_status=S.PAID, to_status=S.REFUNDED, reason="once more", now=order.updated_at)
    assert Coupon.objects.get(pk=coupon.pk).uses == 0
    assert list(CouponUse.objects.values_list("status", flat=True)) == ["released"]
    shop.order(S.PAID, buyer=shop.stranger, coupon=coupon.code)  # the use is there to take again


def test_a_kept_order_unwinds_nothing(shop, registered, django_capture_on_commit_callbacks):
    order = shop.order(S.SHIPPED)
    with django_capture_on_commit_callbacks(execute=True):
        orders.transition(order_id=order.pk, to_status=S.COMPLETED, actor=shop.buyer)
    assert registered == []


def test_a_cancelled_offer_refunds_its_paid_orders_through_the_steps(
    shop, registered, django_capture_on_commit_callbacks
):
    paid = shop.order(S.PAID)
    pending = shop.order(S.PENDING_PAYMENT)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_offer(offer_id=shop.offer.pk, actor=shop.seller, reason="Storm")
    in_transaction = [call for call in registered if call[0] != "after commit"]
    assert sorted(in_transaction) == sorted(
        [(paid.pk, S.PAID, S.REFUNDED, True, 1), (pending.pk, S.PENDING_PAYMENT, S.CANCELLED, False, 1)]
    )
    assert Order.objects.get(pk=paid.pk).status == S.REFUNDED


def test_each_step_is_safe_to_run_twice_on_its_own(shop):
    order = shop.order(S.PAID, quantity=2)
    orders.transition(order_id=order.pk, to_status=S.REFUNDED, actor=shop.seller, reason="Out of apples")
    before = (Offer.objects.get(pk=shop.offer.pk).sold, list(ClaimTally.objects.values_list("taken", flat=True)))
    again = refunds.unwind(order=order, from_status=S.PAID, to_status=S.REFUNDED, reason="again", now=order.updated_at)
    assert again.units_back == 0  # the claim had ended: no units go back twice
    assert (
        Offer.objects.get(pk=shop.offer.pk).sold,
        list(ClaimTally.objects.values_list("taken", flat=True)),
    ) == before


def test_the_merchant_refunds_a_paid_order_from_its_page_with_a_reason(shop):
    order = shop.order(S.PAID, quantity=2)
    client = Client()
    client.force_login(shop.seller)
    page = client.get(reverse("community_commerce:order", args=[order.pk])).content.decode()
    refund = reverse("community_commerce:order_refund", args=[order.pk])
    assert refund in page and 'name="refund-reason"' in page
    assert reverse("community_commerce:order_action", args=[order.pk, "cancel"]) not in page  # refunded, not cancelled
    client.post(refund, {"refund-reason": "  "})
    order.refresh_from_db()
    assert order.status == S.PAID  # a reason is needed
    client.post(refund, {"refund-reason": "Storm damage"})
    order.refresh_from_db()
    shop.offer.refresh_from_db()
    assert (order.status, order.events.last().reason, shop.offer.sold) == (S.REFUNDED, "Storm damage", 0)
    buyer = Client()
    buyer.force_login(shop.buyer)
    assert refund not in buyer.get(reverse("community_commerce:order", args=[order.pk])).content.decode()


def test_the_ledger_s_step_voids_pending_entries_and_reverses_approved_ones_once(shop):
    paid = shop.order(S.PAID)
    orders.transition(order_id=paid.pk, to_status=S.REFUNDED, actor=shop.seller, reason="Out of apples")
    assert list(CommissionEntry.objects.filter(order=paid).values_list("status", flat=True)) == ["void"]
    assert Order.objects.get(pk=paid.pk).commissions_owed == 0  # a void entry costs nothing
    done = shop.order(S.PAID)
    assert Order.objects.get(pk=done.pk).commissions_owed == Decimal("0.250")
    past = timezone.now() - timedelta(days=20)
    OrderEvent.objects.filter(order=done).update(at=past)
    orders.transition(order_id=done.pk, to_status=S.SHIPPED, actor=shop.seller, now=past)
    orders.transition(order_id=done.pk, to_status=S.COMPLETED, actor=shop.buyer, now=past)
    assert commissions.approve_due() == 1
    with pytest.raises(Conflict):  # after completion only staff refund: for anyone else no such step
        orders.transition(order_id=done.pk, to_status=S.REFUNDED, actor=shop.seller, reason="x")
    orders.transition(order_id=done.pk, to_status=S.REFUNDED, actor=shop.staff, reason="A jar broke")
    refunds.unwind(order=done, from_status=S.COMPLETED, to_status=S.REFUNDED, reason="again", now=timezone.now())
    rows = list(CommissionEntry.objects.filter(order=done).order_by("id").values_list("status", "amount"))
    assert rows == [("approved", Decimal("0.250")), ("reversed", Decimal("-0.250"))]
    assert Order.objects.get(pk=done.pk).commissions_owed == 0
    assert owed_apart_from_the_ledger() == []
