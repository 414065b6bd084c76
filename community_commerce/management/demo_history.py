"""The demo's past month for `make run`: a flash sale of honey two weeks ago, whose orders
show the commission programme end to end (seed_commerce_demo calls :func:`load`).

The orders, made through the claim path and moved along the pipeline with the clock of
their day, so every figure on the dashboards can be explained from them:

| buyer | how | total | what happened | commissions |
|---|---|---|---|---|
| carol | signed up through bob's link, bought 2 jars through it | €16.00 | completed | forum 5% €0.80 (paid out), bob 2% €0.32 + CPA €5.00 (approved: owed to bob) |
| dave | the greengrocer's `poster` campaign link | €8.00 | completed | forum €0.40 (paid out) |
| erin | coupon HONEY1 (channel `newsletter`, €1.00 off) | €7.00 | completed | forum €0.35 (paid out) |
| alice | the forum, 3 jars | €24.00 | completed, paid out, then refunded by staff | forum €1.20, then a reversal of −€1.20 for the next payout |
| frank | bob's link | €8.00 | paid, then refunded by the merchant | forum €0.40 and bob €0.16, void |

Costs entered: €12.00 for posters, €5.00 for the newsletter. Link visits: the poster 40
(25 visitors), bob's link 12 (9 visitors). Run once: a second run finds the thread's offer.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from community_commerce.adapters import get_adapter
from community_commerce.models import (
    Attribution,
    Claim,
    CommissionEntry,
    CouponUse,
    LinkVisitDay,
    LinkVisitor,
    Offer,
    Order,
    OrderEvent,
    Referral,
    ShareLink,
)
from community_commerce.services import commissions, coupons, lifecycle, links, orders, payouts, post_offer, reports
from community_commerce.services.claim import claim

TITLE = "Two weeks ago: wildflower honey from the hills"
BODY = "Forty jars of wildflower honey from a beekeeper up the valley. Share the thread with your neighbours!"
DAYS_AGO = 14


def load(*, grocer, merchant, staff, out=None) -> bool:
    """Make the history once; returns whether it was made now."""
    adapter = get_adapter()
    deals = adapter.find_category("deals")
    thread = adapter.find_thread(category_id=deals, title=TITLE)
    if thread is not None and Offer.objects.filter(thread_id=thread.id).exists():
        return False
    with transaction.atomic():
        if thread is None:
            thread = adapter.start_thread(author=grocer, category_id=deals, title=TITLE, body=BODY)
        _make(thread=thread, grocer=grocer, merchant=merchant, staff=staff)
    return True


def _member(username, *, joined):
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.com", "date_joined": joined}
    )
    if created:
        user.set_unusable_password()  # a buyer of the story; log in as alice, bob or greengrocer
        user.save(update_fields=["password"])
    return user


def _make(*, thread, grocer, merchant, staff):
    users = get_user_model().objects
    now = timezone.now()
    day = now - timedelta(days=DAYS_AGO)
    bob, alice = users.get(username="bob"), users.get(username="alice")
    carol = _member("carol", joined=day - timedelta(hours=1))
    dave, erin, frank = (_member(name, joined=now - timedelta(days=60)) for name in ("dave", "erin", "frank"))

    offer = post_offer.create_offer(
        user=grocer, thread_id=thread.id, kind="flash_sale", title="Wildflower honey, 500 g jar",
        description="Pick up at the shop.", currency="EUR", starts_at=now, ends_at=now + timedelta(hours=1),
        stock=40, per_user_limit=3, terms={"unit_price": "8.00", "reservation_minutes": 60 * 24},
    )  # fmt: skip
    bobs = links.get_or_create_link(user=bob, offer_id=offer.pk)[0]
    poster = links.get_or_create_link(user=grocer, offer_id=offer.pk, channel="poster")[0]
    coupons.create_coupon(
        user=grocer, offer_id=offer.pk, code="HONEY1", discount_type="amount", value="1.00", channel="newsletter"
    )
    made = {
        "carol": claim(offer_id=offer.pk, buyer=carol, quantity=2, ref=bobs.code)[0],
        "dave": claim(offer_id=offer.pk, buyer=dave, quantity=1, ref=poster.code)[0],
        "erin": claim(offer_id=offer.pk, buyer=erin, quantity=1, coupon="HONEY1")[0],
        "alice": claim(offer_id=offer.pk, buyer=alice, quantity=3)[0],
        "frank": claim(offer_id=offer.pk, buyer=frank, quantity=1, ref=bobs.code)[0],
    }
    _backdate(offer=offer, claims=made.values(), link_ids=[bobs.pk, poster.pk], day=day)
    lifecycle.close_offer(offer_id=offer.pk, now=day + timedelta(days=1))

    by = {name: Order.objects.get(claim=c) for name, c in made.items()}
    seller = merchant.user
    for name in ("carol", "dave", "erin", "alice", "frank"):
        orders.transition(order_id=by[name].pk, to_status="paid", actor=seller, now=day + timedelta(hours=2))
    for name in ("carol", "dave", "erin", "alice"):
        orders.transition(order_id=by[name].pk, to_status="shipped", actor=seller, now=day + timedelta(days=1))
        buyer = by[name].buyer  # each received theirs (the merchant does not complete on its own word)
        orders.transition(order_id=by[name].pk, to_status="completed", actor=buyer, now=day + timedelta(days=2))
    orders.transition(
        order_id=by["frank"].pk, to_status="refunded", actor=seller, reason="Out of stock: money returned.",
        now=day + timedelta(days=1),
    )  # fmt: skip
    commissions.approve_due(now=day + timedelta(days=10))
    payouts.record(
        merchant_id=merchant.pk, beneficiary="forum", member_id=None, currency="EUR",
        up_to=timezone.localdate(day + timedelta(days=11)), reference="DEMO-BANK-0001", by=staff,
        now=day + timedelta(days=11),
    )  # fmt: skip
    orders.transition(
        order_id=by["alice"].pk, to_status="refunded", actor=staff, reason="A jar broke in delivery: refunded.",
        now=day + timedelta(days=12),
    )  # fmt: skip
    spent = timezone.localdate(day - timedelta(days=1)).isoformat()
    reports.add_cost(
        user=grocer, offer_id=offer.pk, channel="poster", amount="12.00", note="A3 posters", spent_on=spent
    )
    reports.add_cost(user=grocer, offer_id=offer.pk, channel="newsletter", amount="5.00", spent_on=spent)
    visit_day = timezone.localdate(day)
    for link, visits, visitors in ((poster, 40, 25), (bobs, 12, 9)):
        LinkVisitDay.objects.update_or_create(link=link, day=visit_day, defaults={"visits": visits})
        LinkVisitor.objects.bulk_create(
            [LinkVisitor(link=link, day=visit_day, visitor=f"v:demo-{link.pk}-{n}") for n in range(visitors)],
            ignore_conflicts=True,
        )
    assert CommissionEntry.objects.filter(order=by["alice"], status="reversed").get().amount == Decimal("-1.200")


def _backdate(*, offer, claims, link_ids, day):
    """The sale happened two weeks ago: its offer, links, claims, orders and their first events."""
    claim_ids = [c.pk for c in claims]
    Offer.objects.filter(pk=offer.pk).update(
        created_at=day - timedelta(days=1), starts_at=day, opened_at=day, ends_at=day + timedelta(days=1)
    )
    ShareLink.objects.filter(pk__in=link_ids).update(created_at=day - timedelta(days=1))
    Claim.objects.filter(pk__in=claim_ids).update(created_at=day + timedelta(hours=1))
    Order.objects.filter(claim_id__in=claim_ids).update(
        created_at=day + timedelta(hours=1), updated_at=day + timedelta(hours=1), payment_due_at=day + timedelta(days=1)
    )
    OrderEvent.objects.filter(order__claim_id__in=claim_ids).update(at=day + timedelta(hours=1))
    CouponUse.objects.filter(claim_id__in=claim_ids).update(created_at=day + timedelta(hours=1))
    Referral.objects.filter(link_id__in=link_ids).update(
        visited_at=day + timedelta(hours=1), created_at=day + timedelta(hours=1)
    )
    Attribution.objects.filter(link_id__in=link_ids).update(at=day + timedelta(hours=1))
