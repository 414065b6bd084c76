"""Members withdraw through HTTP (gunicorn, several workers) while a real
Celery worker closes their group-buy at its end (the precise ETA task, as beat
queues it). tests/commerce/test_concurrency.py stages the same race with
threads calling the services; this one goes through the whole stack."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from community_commerce import tasks
from community_commerce.models import Claim, Offer, Order
from tests import factories
from tests.concurrency.crowd import Call, crowd
from tests.concurrency.support import bulk_commitments, event_posts, fresh, marks, members, session_token, wait_until

pytestmark = marks(pytest.mark.integration)

MEMBERS, EACH, MIN_QUANTITY = 150, 2, 10
SPREAD = 1.2  # seconds of withdrawals, centred on the end


def test_members_withdrawing_while_the_worker_closes_leave_every_claim_in_exactly_one_state(live, start_worker):
    start_worker("closer")
    crowd_members = members(MEMBERS, prefix="leaver")
    tokens = {m.pk: session_token(m) for m in crowd_members}
    offer = factories.offer("group_buy", terms={"unit_price": "20.00", "min_quantity": MIN_QUANTITY}, stock=None)
    claims = bulk_commitments(offer, crowd_members, EACH)
    claim_ids = dict(Claim.objects.filter(offer=offer).values_list("buyer_id", "id"))
    # Its end comes in 2.5 s (whatever the setup took); the precise close is queued as the sweeper queues it.
    Offer.objects.filter(pk=offer.pk).update(ends_at=timezone.now() + timedelta(seconds=2.5))
    offer.refresh_from_db()
    tasks.close_offer.apply_async(args=[offer.pk], eta=offer.ends_at)
    first = offer.ends_at.timestamp() - SPREAD / 2
    calls = [
        Call("DELETE", f"/api/v1/claims/{claim_ids[m.pk]}", tokens[m.pk], tag=m.pk, at=first + i * SPREAD / MEMBERS)
        for i, m in enumerate(crowd_members)
    ]

    answers = crowd(live.base, calls)

    wait_until(lambda: fresh(offer).closed_at, timeout=30, message="the worker's close")
    assert [a.error for a in answers if a.error] == []
    outcome = Counter((a.status, a.code) for a in answers)
    assert set(outcome) <= {(200, None), (409, "closed")}, outcome
    print(f"withdrawals: {outcome}")
    withdrawn_now = {a.call.tag for a in answers if a.status == 200}
    refused = {a.call.tag for a in answers if a.status == 409}
    assert withdrawn_now and refused, f"the race was not staged (answers: {outcome})"
    assert all(a.body["status"] == "withdrawn" for a in answers if a.status == 200)

    offer = fresh(offer)
    states = dict(Claim.objects.filter(offer=offer).values_list("buyer_id", "status"))
    assert len(states) == len(claims) == MEMBERS  # no claim lost or added
    assert {b for b, s in states.items() if s == Claim.Status.WITHDRAWN} == withdrawn_now
    kept = set(states) - withdrawn_now
    assert kept == refused
    assert offer.sold == EACH * len(kept)  # an ended offer keeps its count: what it sold
    final = Offer.Status.SUCCEEDED if offer.sold >= MIN_QUANTITY else Offer.Status.FAILED
    assert offer.status == final
    expected = Claim.Status.ORDERED if final == Offer.Status.SUCCEEDED else Claim.Status.RELEASED
    assert {states[b] for b in kept} == {expected}
    orders = Order.objects.filter(offer=offer)
    if final == Offer.Status.SUCCEEDED:
        assert sorted(orders.values_list("claim__buyer_id", flat=True)) == sorted(kept)
        assert all(
            o.quantity == EACH and o.claim.status == Claim.Status.ORDERED for o in orders.select_related("claim")
        )
        wait_until(lambda: event_posts(offer, "Group-buy succeeded"), timeout=30, message="the thread event")
        assert event_posts(offer, "Group-buy") == 1
    else:
        assert not orders.exists()
