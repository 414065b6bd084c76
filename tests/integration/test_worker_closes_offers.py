"""Celery closes offers on schedule with a real worker and beat on real Redis:
nothing here calls a service to close anything."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from community_commerce.models import Claim, Offer, Order
from community_commerce.services import claim, merchants, post_offer
from forum.models import Post
from tests import factories as f
from tests.integration.conftest import SWEEP_SECONDS, wait_for

pytestmark = [pytest.mark.integration]


def _group_buy(*, ends_in, min_quantity=3):
    seller = f.user("grocer")
    merchant = merchants.apply(user=seller, display_name="Grocer", contact="555-0100")
    merchants.verify(merchant=merchant)
    thread = f.thread(author=seller, category_=f.category(commerce_enabled=True), title="Apples together")
    now = timezone.now()
    offer = post_offer.create_offer(
        user=seller,
        thread_id=thread.pk,
        kind="group_buy",
        title="Apple boxes",
        description="",
        currency="EUR",
        starts_at=now,
        ends_at=now + timedelta(seconds=ends_in),
        stock=None,
        per_user_limit=None,
        terms={
            "unit_price": "19.90",
            "min_quantity": min_quantity,
            "tiers": [{"min_quantity": 4, "unit_price": "17.90"}],
        },
    )
    for name, quantity in (("ann", 2), ("ben", 2)):
        claim.claim(offer_id=offer.pk, buyer=f.user(name), quantity=quantity)
    return offer


def _closed(offer):
    fresh = Offer.objects.get(pk=offer.pk)
    return fresh if fresh.closed_at else None


def _assert_closed_once(offer):
    assert offer.status == Offer.Status.SUCCEEDED
    assert offer.result_unit_price == Decimal("17.90")  # 4 units committed: the tier price
    orders = Order.objects.filter(offer=offer)
    assert orders.count() == 2
    assert {o.total for o in orders} == {offer.result_unit_price * 2}
    assert set(Claim.objects.filter(offer=offer).values_list("status", flat=True)) == {"ordered"}
    events = Post.objects.filter(thread_id=offer.thread_id, kind="event", body__startswith="Group-buy succeeded")
    # The event is written just after the close commits: wait for it, then make sure there is one.
    wait_for(events.exists, timeout=10, message="the thread event")
    assert events.count() == 1


def test_an_offer_ending_soon_is_closed_by_the_worker_within_two_seconds_of_its_end(start_worker, beat):
    start_worker()
    offer = _group_buy(ends_in=SWEEP_SECONDS * 3 + 1)  # beyond the first sweep's horizon: beat must schedule it
    closed = wait_for(lambda: _closed(offer), timeout=SWEEP_SECONDS * 3 + 15, message="the close")
    lateness = (closed.closed_at - closed.ends_at).total_seconds()
    assert 0 <= lateness <= 2.0, f"closed {lateness:.2f}s after its end"
    _assert_closed_once(closed)


def test_a_worker_killed_with_sigkill_and_restarted_still_closes_the_offer_exactly_once(start_worker, beat):
    first = start_worker("doomed")
    offer = _group_buy(ends_in=SWEEP_SECONDS + 3)
    # Let beat hand the precise ETA task to this worker, then kill it before the end.
    wait_for(lambda: "close_offer" in first.output(), timeout=SWEEP_SECONDS * 3, message="the ETA task")
    first.kill()
    assert _closed(offer) is None
    wait_for(lambda: timezone.now() > offer.ends_at + timedelta(seconds=1), timeout=20, message="the end")
    assert _closed(offer) is None  # nobody closed it while no worker ran
    start_worker("replacement")
    closed = wait_for(lambda: _closed(offer), timeout=SWEEP_SECONDS * 3 + 15, message="the close after restart")
    _assert_closed_once(closed)
    # And it stays closed once: more sweeps change nothing.
    before = (Order.objects.count(), Post.objects.filter(kind="event").count())
    time.sleep(SWEEP_SECONDS * 2 + 0.5)
    assert (Order.objects.count(), Post.objects.filter(kind="event").count()) == before
