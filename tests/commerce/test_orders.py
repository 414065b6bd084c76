"""The order pipeline (services.orders.transition) as a table: every (from, to, role) is
allowed or refused as the contract below says, one event per change, and units returned
when an order ends without being kept (services/refunds.py)."""

from itertools import permutations

import pytest

from community_commerce import errors
from community_commerce.errors import Conflict, InvalidInput, NotAllowed, NotFound
from community_commerce.models import Claim, ClaimTally, Offer, Order, OrderEvent
from community_commerce.services import orders
from community_commerce.services.claim import claim
from tests import factories
from tests.commerce.conftest import notes

pytestmark = pytest.mark.django_db

S = Order.Status

# The contract, written out apart from the code: which moves exist, and who may make each
# ("staff": the site's staff who are no party; "system": the plugin itself, actor=None).
MOVES = {
    (S.PENDING_PAYMENT, S.PAID): {"merchant", "staff"},
    (S.PENDING_PAYMENT, S.CANCELLED): {"buyer", "merchant", "staff", "system"},
    (S.PENDING_PAYMENT, S.EXPIRED): {"system"},
    (S.PAID, S.SHIPPED): {"merchant", "staff"},
    (S.PAID, S.REFUNDED): {"merchant", "staff", "system"},
    (S.PAID, S.DISPUTED): {"buyer"},
    (S.SHIPPED, S.COMPLETED): {"buyer", "staff", "system"},  # never the merchant on their own word
    (S.SHIPPED, S.DISPUTED): {"buyer"},
    (S.COMPLETED, S.DISPUTED): {"buyer"},
    (S.COMPLETED, S.REFUNDED): {"staff"},  # a refund after completion: its commissions are reversed
    (S.DISPUTED, S.REFUNDED): {"staff"},
    (S.DISPUTED, S.PAID): {"staff"},
    (S.DISPUTED, S.SHIPPED): {"staff"},
    (S.DISPUTED, S.COMPLETED): {"staff"},
}
ROLES = ["buyer", "merchant", "staff", "system"]
# The way to each status from a fresh reservation.
ROUTE = {
    S.PENDING_PAYMENT: [],
    S.PAID: [(S.PAID, "merchant")],
    S.SHIPPED: [(S.PAID, "merchant"), (S.SHIPPED, "merchant")],
    S.COMPLETED: [(S.PAID, "merchant"), (S.SHIPPED, "merchant"), (S.COMPLETED, "buyer")],
    S.DISPUTED: [(S.PAID, "merchant"), (S.SHIPPED, "merchant"), (S.DISPUTED, "buyer")],
    S.REFUNDED: [(S.PAID, "merchant"), (S.REFUNDED, "merchant")],
    S.EXPIRED: [(S.EXPIRED, "system")],
    S.CANCELLED: [(S.CANCELLED, "buyer")],
}


def through_dispute(move) -> bool:
    return S.DISPUTED in move


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

    def move(self, order, to_status, role, **extra):
        return orders.transition(
            order_id=order.pk, to_status=to_status, actor=self.actor(role), reason="Because",
            dispute=through_dispute((order.status, to_status)), **extra,
        )  # fmt: skip

    def order(self, status=S.PENDING_PAYMENT, quantity=2):
        taken, _ = claim(offer_id=self.offer.pk, buyer=self.buyer, quantity=quantity)
        order = taken.order
        for to_status, role in ROUTE[status]:
            self.move(order, to_status, role)
            order.refresh_from_db()
        assert order.status == status
        return order


@pytest.fixture
def shop(db):
    return Shop()


def test_the_pipeline_is_the_documented_one():
    assert {(a, b) for a, targets in orders.PIPELINE.items() for b in targets} == set(MOVES)
    assert set(orders.PIPELINE) == set(S.values)
    assert {move: set(roles) for move, roles in orders.ALLOWED_BY.items()} == MOVES


def state(order):
    order.refresh_from_db()
    return order.status, order.events.count(), Claim.objects.get(pk=order.claim_id).status


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("from_status", "to_status"), list(permutations(S.values, 2)))
def test_every_move_and_role_is_allowed_or_refused_as_the_pipeline_says(from_status, to_status, role, shop):
    order = shop.order(from_status)
    before = state(order)
    allowed = MOVES.get((from_status, to_status), set())
    if role in allowed:
        moved, changed = shop.move(order, to_status, role)
        assert (changed, moved.status) == (True, to_status)
        assert state(order)[:2] == (to_status, before[1] + 1)
        event = order.events.last()
        assert (event.from_status, event.to_status, event.actor) == (from_status, to_status, shop.actor(role))
        return
    if allowed and allowed != {"staff"}:  # the move exists, not for this role
        with pytest.raises(NotAllowed) as exc:
            shop.move(order, to_status, role)
        assert exc.value.status == 403
    else:  # no such move; a staff-only one does not exist for anyone else either (409, not 403)
        with pytest.raises(Conflict) as exc:
            shop.move(order, to_status, role)
        assert exc.value.code == errors.INVALID_TRANSITION
    assert state(order) == before


@pytest.mark.parametrize("move", sorted(m for m in MOVES if through_dispute(m)))
def test_a_dispute_s_moves_are_made_only_through_the_dispute(move, shop):
    from_status, to_status = move
    order = shop.order(from_status)
    before = state(order)
    role = sorted(MOVES[move])[0]
    with pytest.raises(Conflict) as exc:
        orders.transition(order_id=order.pk, to_status=to_status, actor=shop.actor(role), reason="Because")
    assert exc.value.code == errors.INVALID_TRANSITION
    assert state(order) == before


def test_an_unknown_status_is_an_invalid_transition(shop):
    order = shop.order()
    with pytest.raises(Conflict) as exc:
        orders.transition(order_id=order.pk, to_status="lost_at_sea", actor=shop.merchant.user)
    assert exc.value.code == errors.INVALID_TRANSITION


def test_a_paid_order_is_refunded_not_cancelled_and_only_with_a_reason(shop):
    order = shop.order(S.PAID)
    before = state(order)
    with pytest.raises(Conflict) as exc:
        orders.transition(order_id=order.pk, to_status=S.CANCELLED, actor=shop.merchant.user, reason="Sold out")
    assert "refunded" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        orders.transition(order_id=order.pk, to_status=S.REFUNDED, actor=shop.merchant.user, reason="   ")
    assert list(exc.value.fields) == ["reason"]
    assert state(order) == before


def test_staff_who_bought_the_order_act_as_its_buyer(shop):
    order = shop.order(S.PAID)
    order.buyer.is_staff = True
    order.buyer.save(update_fields=["is_staff"])
    assert orders.role_of(order.buyer, order) == "buyer"
    with pytest.raises(NotAllowed):
        orders.transition(order_id=order.pk, to_status=S.SHIPPED, actor=order.buyer)


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
    orders.transition(order_id=first.pk, to_status=S.REFUNDED, actor=shop.merchant.user, reason="Bruised fruit")
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
        orders.transition(order_id=order.pk, to_status=S.REFUNDED, actor=shop.staff, reason="Out of stock")
    (note,) = notes(shop.merchant.user)
    assert note.kind == "order_refunded"
    assert note.text == f"Order {order.number} was refunded. Out of stock"
    assert [n.kind for n in notes(shop.buyer)] == ["order_paid", "order_refunded"]
    assert notes(shop.staff) == []
