"""A crowd with a coupon, through HTTP against gunicorn with several workers (PostgreSQL).

500 members rush a flash sale of 200 units; 300 of them send a coupon good for 50 uses,
100 of those from two sessions at the same moment (a phone and a laptop). Exactly 50
orders carry the discount, nobody uses the coupon twice, and orders, uses and stock
agree to the unit. Three rounds, each a new sale and coupon on the same server: an
amount code, a percentage code, and a handout of 50 the crowd races for first (its
holders then rush with the rest; each holder loses only to the sale selling out)."""

import random
from collections import Counter, defaultdict
from decimal import Decimal

from community_commerce.models import Claim, ClaimTally, Coupon, CouponGrant, CouponUse, Order
from community_commerce.services import coupons
from tests import factories
from tests.concurrency.crowd import Call, crowd
from tests.concurrency.support import fresh, marks, members, session_token

pytestmark = marks()

STOCK, USES, MEMBERS, WITH_COUPON, LIMIT = 200, 50, 500, 300, 2
TWO_SESSIONS = range(0, 100)  # of the members with the coupon: one request from each of two sessions
FLASH_TERMS = {"unit_price": "9.90", "reservation_minutes": 15}


def plan(offer, code, crowd_members, tokens, rng, holders=None) -> list[Call]:
    calls = []
    for i, member in enumerate(crowd_members):
        body = {"quantity": 1}
        if i < WITH_COUPON and (holders is None or member.pk in holders):
            body["coupon"] = code.lower() if i % 2 else f" {code} "  # typed any way
        sessions = tokens[member.pk] if i in TWO_SESSIONS else tokens[member.pk][:1]
        calls += [
            Call("POST", f"/api/v1/offers/{offer.pk}/claims", token, dict(body), tag=member.pk) for token in sessions
        ]
    rng.shuffle(calls)
    return calls


def check(offer, coupon, answers, per_unit, *, holders=None):
    """``holders``: for a handout, the members who took one; each of them has a discounted
    order unless the sale sold out before their claim."""
    assert [a.error for a in answers if a.error] == [], "transport failures"
    odd = [(a.status, a.body) for a in answers if a.status not in (201, 409)]
    assert odd == [], f"answers other than 201/409: {odd[:5]}"
    refusals = Counter(a.code for a in answers if a.status == 409)
    assert set(refusals) <= {"sold_out", "coupons_gone", "coupon_used", "coupon_not_applicable", "limit_exceeded"}
    won = [a for a in answers if a.status == 201]

    offer, coupon = fresh(offer), Coupon.objects.get(pk=coupon.pk)
    orders = list(Order.objects.filter(offer=offer).select_related("claim"))
    discounted = [o for o in orders if o.coupon_id == coupon.pk]
    live = CouponUse.objects.filter(coupon=coupon, status=CouponUse.Status.LIVE)
    expected = USES
    if holders is not None:  # a holder loses only to the sale selling out, never to the coupon
        refused = Counter(a.code for a in answers if a.status == 409 and a.call.tag in holders)
        assert set(refused) <= {"sold_out", "coupon_used"}, refused
        expected = len({a.call.tag for a in answers if a.status == 201 and a.call.tag in holders})
        assert expected > 0
    assert len(discounted) == expected == coupon.uses == live.count(), (len(discounted), coupon.uses, live.count())
    assert len({o.buyer_id for o in discounted}) == expected, "a member used the coupon twice"
    assert sorted(live.values_list("claim_id", flat=True)) == sorted(o.claim_id for o in discounted)
    for o in discounted:
        assert o.discount == per_unit and o.total == o.unit_price - per_unit and o.claim.discount == per_unit
    assert all(o.discount == 0 and o.coupon_id is None for o in orders if o.coupon_id != coupon.pk)
    coupon_answers = [a for a in won if a.call.body.get("coupon")]
    assert len(coupon_answers) == expected and all(a.body["coupon"] == coupon.code for a in coupon_answers)

    assert offer.sold == STOCK == sum(o.quantity for o in orders) == len(won)
    assert sorted(o.pk for o in orders) == sorted(a.body["order"] for a in won)
    assert Claim.objects.filter(offer=offer).count() == len(orders)
    held = Counter(o.buyer_id for o in orders)
    tallies = dict(ClaimTally.objects.filter(offer=offer, taken__gt=0).values_list("buyer_id", "taken"))
    assert tallies == dict(held)
    assert max(held.values()) <= LIMIT


def test_500_members_rush_a_coupon_of_50_uses_three_times(live):
    seller = factories.merchant()
    thread = factories.commerce_thread(seller)
    crowd_members = members(MEMBERS, "couponer")
    tokens = defaultdict(list)
    for i, member in enumerate(crowd_members):
        tokens[member.pk].append(session_token(member))
        if i in TWO_SESSIONS:
            tokens[member.pk].append(session_token(member))
    rng = random.Random(50)

    rounds = [
        ({"discount_type": "amount", "value": "2.00", "code": "CROWD1"}, Decimal("2.00")),
        ({"discount_type": "percent", "value": "10", "code": "CROWD2"}, Decimal("0.99")),
        ({"discount_type": "amount", "value": "1.00", "handout": True}, Decimal("1.00")),
    ]
    for fields, per_unit in rounds:
        offer = factories.offer(
            "flash_sale", merchant_=seller, thread_=thread, stock=STOCK, per_user_limit=LIMIT, terms=FLASH_TERMS
        )
        handout = fields.get("handout", False)
        coupon = coupons.create_coupon(user=seller.user, offer_id=offer.pk, max_uses=USES, **fields)
        holders = None
        if handout:  # 300 members race for the 50 coupons first, 100 of them from two sessions
            takes = [
                Call("POST", f"/api/v1/coupons/{coupon.pk}/take", token, tag=member.pk)
                for i, member in enumerate(crowd_members[:WITH_COUPON])
                for token in (tokens[member.pk] if i in TWO_SESSIONS else tokens[member.pk][:1])
            ]
            rng.shuffle(takes)
            took = crowd(live.base, takes)
            assert {a.status for a in took} <= {201, 200, 409}, [(a.status, a.body) for a in took if a.status >= 400][
                :3
            ]
            assert {a.code for a in took if a.status == 409} <= {"coupons_gone"}
            assert sum(a.status == 201 for a in took) == USES
            grants = CouponGrant.objects.filter(coupon=coupon)
            assert grants.count() == USES == Coupon.objects.get(pk=coupon.pk).handed_out
            holders = set(grants.values_list("member_id", flat=True))
            assert len(holders) == USES

        answers = crowd(live.base, plan(offer, coupon.code, crowd_members, tokens, rng, holders))

        check(offer, coupon, answers, per_unit, holders=holders)
