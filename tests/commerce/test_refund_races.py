"""Races of buyer protection on PostgreSQL (the thread-race style of test_concurrency.py):
a dispute resolved twice at once refunds once, its stock, its coupon's use and every
registered reversal given back once; two opposite decisions at once leave one; two disputes opened at once
leave one. SQLite lets one writer in at a time, so these are skipped there."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from community_commerce.models import ClaimTally, CommissionEntry, Coupon, CouponUse, Dispute, Order, OrderEvent
from community_commerce.services import commissions, disputes, orders, refunds
from tests import factories
from tests.api.test_commerce_api import login_token
from tests.commerce import test_concurrency
from tests.commerce.test_concurrency import at_once, staged
from tests.commerce.trust_support import Shop

pytestmark = test_concurrency.pytestmark  # PostgreSQL only, transactional
S = Order.Status
REVERSED = []
LOCK = threading.Lock()


def count_reversal(unwind):
    """A reversal a later feature registers (a coupon use, a commission): it must run once."""
    with LOCK:
        REVERSED.append(unwind.order.pk)


@pytest.fixture
def registered(monkeypatch):
    REVERSED.clear()
    monkeypatch.setattr(refunds, "STEPS", [*refunds.STEPS, refunds.Step("ledger", f"{__name__}.count_reversal")])
    return REVERSED


def api_post(user, path, body):
    client = Client(headers={"X-Session-Token": login_token(user.username)})
    return lambda: client.post(f"/api/v1{path}", body, content_type="application/json")


@pytest.mark.parametrize("round_", range(3))
def test_a_refund_resolved_twice_at_once_gives_the_flash_sale_s_stock_back_once(round_, registered):
    shop = Shop(stock=5, per_user_limit=5)
    coupon = shop.coupon(code=f"RACE{round_}", max_uses=2)
    order = shop.order(S.SHIPPED, quantity=3, coupon=coupon.code)
    other = shop.order(S.PAID, quantity=1, buyer=shop.stranger, coupon=coupon.code)
    dispute = disputes.open_dispute(order_id=order.pk, buyer=shop.buyer, reason="not_received", details="Lost")
    second_staff = factories.staff(f"staff-two-{round_}")
    body = '{"outcome": "refund", "reason": "Lost in the post"}'
    calls = [api_post(shop.staff, f"/disputes/{dispute.pk}/resolve", body),
             api_post(second_staff, f"/disputes/{dispute.pk}/resolve", body)]  # fmt: skip
    results = at_once(calls)
    assert [r.status_code for r in results] == [200, 200], [r.content for r in results]
    assert {r.json()["status"] for r in results} == {"refunded"}
    order.refresh_from_db()
    shop.offer.refresh_from_db()
    assert order.status == S.REFUNDED
    assert shop.offer.sold == 1  # 4 were sold; the 3 of the refunded order are back, once
    assert ClaimTally.objects.get(offer=shop.offer, buyer=shop.buyer).taken == 0
    assert OrderEvent.objects.filter(order=order, to_status=S.REFUNDED).count() == 1
    assert registered == [order.pk]
    assert Order.objects.get(pk=other.pk).status == S.PAID
    assert Coupon.objects.get(pk=coupon.pk).uses == 1  # the refunded order's use back, once; the other's kept
    ledger = CommissionEntry.objects.filter(order=order)
    assert list(ledger.values_list("status", flat=True)) == ["void"]  # pending when it shipped: void, once
    assert dict(CouponUse.objects.values_list("member__username", "status")) == {
        "buyer": "released",
        "stranger": "live",
    }


def test_a_refund_resolved_while_another_holds_the_dispute_waits_and_changes_nothing(registered):
    """The exact interleaving: the second resolution reads the dispute open before the first
    commits, then waits for its row; it must give nothing back a second time."""
    shop = Shop(stock=5, per_user_limit=5)
    order = shop.order(S.SHIPPED, quantity=3)
    dispute = disputes.open_dispute(order_id=order.pk, buyer=shop.buyer, reason="not_received", details="Lost")
    first, second = staged(
        lambda: disputes.resolve(dispute_id=dispute.pk, actor=shop.staff, outcome="refund", reason="Lost"),
        lambda: disputes.resolve(dispute_id=dispute.pk, actor=shop.moderator, outcome="refund", reason="Lost too"),
    )
    assert (first[1], second[1]) == (True, False), (first, second)
    shop.offer.refresh_from_db()
    assert shop.offer.sold == 0
    assert ClaimTally.objects.get(offer=shop.offer, buyer=shop.buyer).taken == 0
    assert OrderEvent.objects.filter(order=order, to_status=S.REFUNDED).count() == 1
    assert registered == [order.pk]


def test_a_refund_and_a_rejection_at_once_leave_one_decision():
    shop = Shop(stock=5)
    order = shop.order(S.SHIPPED, quantity=2)
    dispute = disputes.open_dispute(order_id=order.pk, buyer=shop.buyer, reason="not_received", details="Lost")
    results = at_once(
        [
            lambda: disputes.resolve(dispute_id=dispute.pk, actor=shop.staff, outcome="refund", reason="Lost"),
            lambda: disputes.resolve(dispute_id=dispute.pk, actor=shop.moderator, outcome="reject", reason="Came"),
        ]
    )
    won = [r for r in results if isinstance(r, tuple)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1 and lost[0].code == "dispute_closed"
    dispute.refresh_from_db()
    order.refresh_from_db()
    shop.offer.refresh_from_db()
    if dispute.status == "refunded":
        assert (order.status, shop.offer.sold) == (S.REFUNDED, 0)
    else:
        assert (order.status, shop.offer.sold) == (S.SHIPPED, 2)
    assert OrderEvent.objects.filter(order=order, from_status=S.DISPUTED).count() == 1


def test_two_disputes_opened_at_once_leave_one():
    shop = Shop(stock=5)
    order = shop.order(S.SHIPPED)
    results = at_once(
        [
            lambda: disputes.open_dispute(order_id=order.pk, buyer=shop.buyer, reason="other", details="one")
            for _ in range(3)
        ]
    )
    opened = [r for r in results if isinstance(r, Dispute)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(opened) == 1 and {r.code for r in refused} == {"already_disputed"}, results
    assert Dispute.objects.filter(order=order).count() == 1
    assert OrderEvent.objects.filter(order=order, to_status=S.DISPUTED).count() == 1


@pytest.mark.parametrize("round_", range(2))
def test_staff_refunding_an_approved_order_twice_at_once_reverse_its_commission_once(round_, registered):
    """After the refund window the ledger's entries are approved (and disputes are closed):
    staff may still refund the order; two refunds at once write one reversed entry."""
    shop = Shop(stock=5, per_user_limit=5)
    order = shop.order(S.PAID, quantity=2)
    past = timezone.now() - timedelta(days=20)
    OrderEvent.objects.filter(order=order).update(at=past)
    orders.transition(order_id=order.pk, to_status=S.SHIPPED, actor=shop.seller, now=past)
    orders.transition(order_id=order.pk, to_status=S.COMPLETED, actor=shop.buyer, now=past)
    assert commissions.approve_due() == 1
    second_staff = factories.staff(f"refunder-{round_}")
    body = '{"reason": "A jar broke in delivery"}'
    results = at_once([api_post(shop.staff, f"/orders/{order.pk}/refund", body),
                       api_post(second_staff, f"/orders/{order.pk}/refund", body)])  # fmt: skip
    assert [r.status_code for r in results] == [200, 200], [r.content for r in results]
    ledger = CommissionEntry.objects.filter(order=order).order_by("id")
    assert list(ledger.values_list("status", "amount")) == [
        ("approved", Decimal("0.500")),
        ("reversed", Decimal("-0.500")),
    ]
    shop.offer.refresh_from_db()
    assert shop.offer.sold == 0 and registered == [order.pk]
    assert OrderEvent.objects.filter(order=order, to_status=S.REFUNDED).count() == 1
