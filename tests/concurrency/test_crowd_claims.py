"""A crowd claims through HTTP against gunicorn with several worker processes.

500 members, some from two sessions, some sending two requests, all released
at the same moment on a sale of 100 units with a limit of 2 per member: exactly
the stock is sold, nobody passes the limit, every answer is a 201 with an order
or a 409 that says why. Three offers in a row on the same server."""

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from community_commerce.models import Claim, ClaimTally, Order
from community_commerce.services import lifecycle
from tests import factories
from tests.concurrency.crowd import Call, crowd, one
from tests.concurrency.support import check_token, fresh, marks, members, price_grid, session_token

pytestmark = marks()

STOCK, LIMIT, MEMBERS = 100, 2, 500
TWO_TOKENS = range(0, 100)  # one request from each of two sessions
TWICE = range(100, 200)  # two requests from the same session
FLASH_TERMS = {"unit_price": "9.90", "reservation_minutes": 15}
DUTCH_TERMS = {"start_price": "100.00", "floor_price": "40.00", "step": "5.00", "step_seconds": 1}


def plan(offer, crowd_members, tokens, rng) -> list[Call]:
    calls = []
    for i, member in enumerate(crowd_members):
        first = tokens[member.pk][0]
        second = tokens[member.pk][1] if i in TWO_TOKENS else first if i in TWICE else None
        for token in (first, second) if second else (first,):
            quantity = rng.choice((1, 2))
            calls.append(
                Call("POST", f"/api/v1/offers/{offer.pk}/claims", token, {"quantity": quantity}, tag=member.pk)
            )
    rng.shuffle(calls)
    return calls


def check_the_rush(base, offer, answers):
    """Everything a buyer, the merchant and the books would notice after the rush."""
    assert [a.error for a in answers if a.error] == [], "transport failures"
    odd = [(a.status, a.body) for a in answers if a.status not in (201, 409)]
    assert odd == [], f"answers other than 201/409: {odd[:5]}"
    refusals = Counter(a.code for a in answers if a.status == 409)
    assert set(refusals) <= {"sold_out", "limit_exceeded"}, refusals
    won = [a for a in answers if a.status == 201]
    for a in won:
        assert a.body["offer"] == offer.pk
        assert a.body["quantity"] == a.call.body["quantity"]
        assert a.body["status"] == "ordered"
        assert a.body["order"] is not None, a.body

    offer = fresh(offer)
    orders = list(Order.objects.filter(offer=offer).select_related("claim"))
    assert offer.sold == STOCK, f"sold {offer.sold} of {STOCK}"
    assert sum(o.quantity for o in orders) == STOCK
    assert sum(a.body["quantity"] for a in won) == STOCK
    assert {o.status for o in orders} == {Order.Status.PENDING_PAYMENT}
    assert sorted(o.pk for o in orders) == sorted(a.body["order"] for a in won)  # one order per 201, no other
    assert Claim.objects.filter(offer=offer).count() == len(orders)
    for o in orders:
        assert (o.claim.quantity, o.claim.buyer_id, o.claim.status) == (o.quantity, o.buyer_id, Claim.Status.ORDERED)
        assert o.total == o.unit_price * o.quantity

    held = Counter()
    for o in orders:
        held[o.buyer_id] += o.quantity
    assert max(held.values()) <= LIMIT, f"a member holds {max(held.values())}"
    tallies = dict(ClaimTally.objects.filter(offer=offer, taken__gt=0).values_list("buyer_id", "taken"))
    assert tallies == dict(held), "the per-member tallies disagree with the orders"

    state = one(base, Call("GET", f"/api/v1/offers/{offer.pk}")).body
    assert (state["quantity_claimed"], state["stock_left"], state["status"]) == (STOCK, 0, "sold_out"), state
    return offer, orders, won


def test_500_members_rush_three_sales_of_100_units_in_a_row(live):
    seller = factories.merchant()
    thread = factories.commerce_thread(seller)
    crowd_members = members(MEMBERS)
    tokens = defaultdict(list)
    for i, member in enumerate(crowd_members):
        tokens[member.pk].append(session_token(member))
        if i in TWO_TOKENS:
            tokens[member.pk].append(session_token(member))
    check_token(tokens[crowd_members[0].pk][1], crowd_members[0])
    rng = random.Random(500)

    rounds = [
        ("flash_sale", "gate built by the crowd"),
        ("dutch_auction", "price falling every second"),
        ("flash_sale", "gate built when the sale opens"),
    ]
    for kind, how in rounds:
        now = timezone.now()
        offer = factories.offer(
            kind,
            merchant_=seller,
            thread_=thread,
            stock=STOCK,
            per_user_limit=LIMIT,
            terms=DUTCH_TERMS if kind == "dutch_auction" else FLASH_TERMS,
            starts_at=now - timedelta(seconds=2) if kind == "dutch_auction" else None,
            status="scheduled" if how.endswith("opens") else "live",
        )
        if how.endswith("opens"):
            assert lifecycle.open_offer(offer_id=offer.pk)  # what the sweeper or the ETA task does at the start

        answers = crowd(live.base, plan(offer, crowd_members, tokens, rng))

        offer, orders, won = check_the_rush(live.base, offer, answers)
        if kind == "dutch_auction":
            check_dutch_prices(offer, orders, won)


def check_dutch_prices(offer, orders, won):
    """Each order at the price of its claim's moment, a moment inside its request's life."""
    kind = offer.kind_class
    grid = price_grid(offer.terms)
    request_of = {a.body["order"]: a for a in won}
    for o in orders:
        assert o.unit_price in grid, o.unit_price
        moment = o.claim.created_at
        assert o.unit_price == kind.unit_price(offer, moment)
        answer = request_of[o.pk]
        sent, done = (datetime.fromtimestamp(t, tz=UTC) for t in (answer.sent_at, answer.done_at))
        assert sent - timedelta(milliseconds=50) <= moment <= done + timedelta(milliseconds=50), (sent, moment, done)
        assert kind.unit_price(offer, done) <= o.unit_price <= kind.unit_price(offer, sent)


def test_one_member_from_two_sessions_at_once_cannot_pass_the_limit(live):
    """60 requests at once from the two sessions of one member (a phone and a
    laptop), on a sale with plenty of stock: the limit, and not one unit more."""
    limit = 3
    member = members(1)[0]
    phone, laptop = session_token(member), session_token(member)
    rng = random.Random(2)
    for kind, quantities in (("flash_sale", (1,)), ("dutch_auction", (1, 2, 3))):
        offer = factories.offer(
            kind,
            stock=50,
            per_user_limit=limit,
            terms=DUTCH_TERMS if kind == "dutch_auction" else FLASH_TERMS,
        )
        calls = [
            Call("POST", f"/api/v1/offers/{offer.pk}/claims", token, {"quantity": rng.choice(quantities)})
            for token in (phone, laptop) * 30
        ]

        answers = crowd(live.base, calls)

        assert [(a.status, a.code) for a in answers if a.status != 201] == [
            (409, "limit_exceeded") for a in answers if a.status != 201
        ], [(a.status, a.body) for a in answers if a.status not in (201, 409)][:3]
        units = sum(a.body["quantity"] for a in answers if a.status == 201)
        offer = fresh(offer)
        orders = Order.objects.filter(offer=offer, buyer=member)
        assert units == offer.sold == sum(orders.values_list("quantity", flat=True))
        assert ClaimTally.objects.get(offer=offer, buyer=member).taken == units
        assert all(units + a.call.body["quantity"] > limit for a in answers if a.status == 409)  # each refusal fair
        if quantities == (1,):
            assert units == limit  # refused only past the limit, so the limit is reached
        else:
            assert 1 <= units <= limit
        assert {a.call.token for a in answers if a.status == 201} <= {phone, laptop}
