"""The order pipeline (services.orders.transition): allowed moves, who may make them,
one event per change, and units returned when an order dies."""

from itertools import permutations

import pytest

from community_commerce import errors
from community_commerce.errors import Conflict, NotAllowed, NotFound
from community_commerce.models import Claim, ClaimTally, Offer, Order, OrderEvent
from community_commerce.services import orders
from community_commerce.services.claim import claim
from tests import factories
from tests.commerce.conftest import notes

pytestmark = pytest.mark.django_db

S = Order.Status

# The contract: which moves exist, and who may make each (staff act as the merchant,
# "system" is the sweeper: actor=None).
MOVES = {
    (S.PENDING_PAYMENT, S.PAID): {"merchant", "staff"},
    (S.PENDING_PAYMENT, S.CANCELLED): {"buyer", "merchant", "staff", "system"},
    (S.PENDING_PAYMENT, S.EXPIRED): {"system"},
    (S.PAID, S.SHIPPED): {"merchant", "staff"},
    (S.PAID, S.CANCELLED): {"merchant", "staff", "system"},  # a refund
    (S.SHIPPED, S.COMPLETED): {"buyer", "merchant", "staff"},
    (S.COMPLETED, S.CANCELLED): {"staff"},  # a refund after completion: its commissions are reversed
}
# The way to each status from a fresh reservation.
ROUTE = {
    S.PENDING_PAYMENT: [],
    S.PAID: [(S.PAID, "merchant")],
    S.SHIPPED: [(S.PAID, "merchant"), (S.SHIPPED, "merchant")],
    S.COMPLETED: [(S.PAID, "merchant"), (S.SHIPPED, "merchant"), (S.COMPLETED, "buyer")],
    S.EXPIRED: [(S.EXPIRED, "system")],
    S.CANCELLED: [(S.CANCELLED, "buyer")],
}


class Shop:
    def __init__(self):
        self.merchant = factories.merchant()
        self.buyer = factories.user("shopper")
        self.staff = factories.staff()
        self.stranger = factories.user("stranger")
        self.offer = factories.offer(
            "flash_sale", merchant_=self.merchant, stock=6, per_user_limit=4, terms={"unit_price": "5.00"}
        )

    def actor(self, role):
        return {"merchant": self.merchant.user, "buyer": self.buyer, "staff": self.staff, "system": None}[role]

    def order(self, status=S.PENDING_PAYMENT, quantity=2):
        taken, _ = claim(offer_id=self.offer.pk, buyer=self.buyer, quantity=quantity)
        order = taken.order
        for to_status, role in ROUTE[status]:
            orders.transition(order_id=order.pk, to_status=to_status, actor=self.actor(role))
        order.refresh_from_db()
        assert order.status == status
        return order


@pytest.fixture
def shop(db):
    return Shop()


def test_the_pipeline_is_the_documented_one():
    assert {(a, b) for a, targets in orders.PIPELINE.items() for b in targets} == set(MOVES)
    assert set(orders.PIPELINE) == set(S.values)


@pytest.mark.parametrize(("from_status", "to_status"), list(permutations(S.values, 2)))
def test_allowed_moves_happen_and_every_other_move_is_refused(from_status, to_status, shop):
    order = shop.order(from_status)
    events = order.events.count()
    allowed = MOVES.get((from_status, to_status))
    if allowed:
        role = sorted(allowed)[0]
        moved, changed = orders.transition(order_id=order.pk, to_status=to_status, actor=shop.actor(role))
        assert changed is True
        assert moved.status == to_status
        order.refresh_from_db()
        assert order.status == to_status
        assert order.events.count() == events + 1
    else:
        with pytest.raises(Conflict) as exc:
            orders.transition(order_id=order.pk, to_status=to_status, actor=shop.staff)
        assert exc.value.code == errors.INVALID_TRANSITION
        order.refresh_from_db()
        assert order.status == from_status
        assert order.events.count() == events


def test_an_unknown_status_is_an_invalid_transition(shop):
    order = shop.order()
    with pytest.raises(Conflict) as exc:
        orders.transition(order_id=order.pk, to_status="refunded", actor=shop.merchant.user)
    assert exc.value.code == errors.INVALID_TRANSITION


@pytest.mark.parametrize(("move", "allowed"), list(MOVES.items()))
@pytest.mark.parametrize("role", ["buyer", "merchant", "staff", "system"])
def test_who_may_make_each_move(move, allowed, role, shop):
    from_status, to_status = move
    order = shop.order(from_status)
    if role in allowed:
        _order, changed = orders.transition(order_id=order.pk, to_status=to_status, actor=shop.actor(role))
        assert changed is True
    else:
        staff_only = allowed == {"staff"}  # to anyone else such a step does not exist: 409, not 403
        with pytest.raises(Conflict if staff_only else NotAllowed) as exc:
            orders.transition(order_id=order.pk, to_status=to_status, actor=shop.actor(role))
        assert exc.value.status == (409 if staff_only else 403)
        order.refresh_from_db()
        assert order.status == from_status


@pytest.mark.parametrize("to_status", [S.PAID, S.CANCELLED, S.EXPIRED])
def test_a_stranger_does_not_even_see_the_order(to_status, shop):
    order = shop.order()
    other_merchant = factories.merchant().user
    for stranger in (shop.stranger, other_merchant):
        with pytest.raises(NotFound):
            orders.transition(order_id=order.pk, to_status=to_status, actor=stranger)
        with pytest.raises(NotFound):
            orders.get_for(stranger, order.pk)
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


def test_unknown_order_is_not_found(shop):
    with pytest.raises(NotFound):
        orders.transition(order_id=999_999, to_status=S.PAID, actor=shop.merchant.user)


def test_every_change_writes_one_event_with_who_from_to_and_why(shop):
    order = shop.order()
    orders.transition(order_id=order.pk, to_status=S.PAID, actor=shop.merchant.user, reason="  Bank   transfer in ")
    orders.transition(order_id=order.pk, to_status=S.SHIPPED, actor=shop.staff, reason="Tracking 1Z999")
    orders.transition(order_id=order.pk, to_status=S.COMPLETED, actor=shop.buyer)
    rows = list(OrderEvent.objects.filter(order=order).values_list("actor", "from_status", "to_status", "reason"))
    assert rows == [
        (shop.buyer.pk, "", "pending_payment", "claimed"),
        (shop.merchant.user.pk, "pending_payment", "paid", "Bank transfer in"),
        (shop.staff.pk, "paid", "shipped", "Tracking 1Z999"),
        (shop.buyer.pk, "shipped", "completed", ""),
    ]


def test_the_same_transition_twice_changes_nothing_the_second_time(shop, django_capture_on_commit_callbacks):
    order = shop.order()
    with django_capture_on_commit_callbacks(execute=True):
        _first, changed = orders.transition(order_id=order.pk, to_status=S.PAID, actor=shop.merchant.user)
    assert changed is True
    events, told = order.events.count(), len(notes(shop.buyer))
    with django_capture_on_commit_callbacks(execute=True):
        again, changed_again = orders.transition(order_id=order.pk, to_status=S.PAID, actor=shop.merchant.user)
    assert changed_again is False
    assert again.status == S.PAID
    assert order.events.count() == events
    assert len(notes(shop.buyer)) == told


def test_cancelling_twice_returns_the_units_once(shop):
    order = shop.order(quantity=2)
    orders.transition(order_id=order.pk, to_status=S.CANCELLED, actor=shop.buyer)
    _order, changed = orders.transition(order_id=order.pk, to_status=S.CANCELLED, actor=shop.buyer)
    assert changed is False
    shop.offer.refresh_from_db()
    assert shop.offer.sold == 0
    assert order.events.filter(to_status=S.CANCELLED).count() == 1


def test_cancelling_a_pending_reservation_returns_its_units(shop):
    order = shop.order(quantity=2)
    shop.order(quantity=2)
    shop.offer.refresh_from_db()
    assert shop.offer.stock_left == 2
    orders.transition(order_id=order.pk, to_status=S.CANCELLED, actor=shop.buyer, reason="Ordered twice")
    shop.offer.refresh_from_db()
    assert shop.offer.stock_left == 4
    assert Claim.objects.get(pk=order.claim_id).status == Claim.Status.CANCELLED
    assert ClaimTally.objects.get(offer=shop.offer, buyer=shop.buyer).taken == 2


def test_refunding_a_paid_order_returns_its_units_and_reopens_a_sold_out_sale(shop):
    first = shop.order(quantity=4)
    claim(offer_id=shop.offer.pk, buyer=factories.user(), quantity=2)
    shop.offer.refresh_from_db()
    assert shop.offer.status == Offer.Status.SOLD_OUT
    orders.transition(order_id=first.pk, to_status=S.PAID, actor=shop.merchant.user)
    orders.transition(order_id=first.pk, to_status=S.CANCELLED, actor=shop.merchant.user, reason="Refund")
    shop.offer.refresh_from_db()
    assert shop.offer.stock_left == 4
    assert shop.offer.status == Offer.Status.LIVE


def test_shipped_and_completed_orders_keep_their_units(shop):
    shop.order(S.COMPLETED, quantity=2)
    shop.offer.refresh_from_db()
    assert shop.offer.sold == 2


def test_each_change_tells_the_other_side(shop, mailoutbox, django_capture_on_commit_callbacks):
    order = shop.order()
    with django_capture_on_commit_callbacks(execute=True):
        orders.transition(order_id=order.pk, to_status=S.PAID, actor=shop.merchant.user)
    assert [n.kind for n in notes(shop.buyer)] == ["order_paid"]
    assert notes(shop.merchant.user) == []  # not told about their own action
    assert [m.to for m in mailoutbox] == [[shop.buyer.email]]
    with django_capture_on_commit_callbacks(execute=True):
        orders.transition(order_id=order.pk, to_status=S.CANCELLED, actor=shop.staff, reason="Out of stock")
    (note,) = notes(shop.merchant.user)
    assert note.kind == "order_cancelled"
    assert "Out of stock" in note.text
    assert [n.kind for n in notes(shop.buyer)] == ["order_paid", "order_cancelled"]
    assert notes(shop.staff) == []
