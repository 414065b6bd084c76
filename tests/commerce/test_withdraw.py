"""Withdrawing a group-buy commitment (services.withdraw.withdraw)."""

from datetime import timedelta

import pytest

from community_commerce import errors
from community_commerce.errors import Conflict, NotFound
from community_commerce.models import Claim, ClaimTally, Offer
from community_commerce.services import lifecycle
from community_commerce.services.claim import claim
from community_commerce.services.withdraw import withdraw
from tests import factories

pytestmark = pytest.mark.django_db

TERMS = {"unit_price": "20.00", "min_quantity": 10, "tiers": [{"min_quantity": 30, "unit_price": "18.00"}]}


@pytest.fixture
def group(merchant, merchant_thread):
    return factories.offer("group_buy", merchant_=merchant, thread_=merchant_thread, terms=TERMS, per_user_limit=5)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def test_withdraw_ends_the_commitment_and_returns_the_units(group, buyer):
    taken, _ = claim(offer_id=group.pk, buyer=buyer, quantity=4)
    claim(offer_id=group.pk, buyer=factories.user(), quantity=3)
    assert withdraw(claim_id=taken.pk, buyer=buyer) is True
    taken = fresh(taken)
    assert taken.status == Claim.Status.WITHDRAWN
    assert taken.ended_at is not None
    assert fresh(group).sold == 3
    assert ClaimTally.objects.get(offer=group, buyer=buyer).taken == 0
    # the member's allowance is whole again
    again, created = claim(offer_id=group.pk, buyer=buyer, quantity=5)
    assert created and again.quantity == 5


def test_withdrawing_twice_is_harmless(group, buyer):
    taken, _ = claim(offer_id=group.pk, buyer=buyer, quantity=4)
    claim(offer_id=group.pk, buyer=factories.user(), quantity=2)
    assert withdraw(claim_id=taken.pk, buyer=buyer) is True
    assert withdraw(claim_id=taken.pk, buyer=buyer) is False
    assert fresh(group).sold == 2  # the units came back once, not twice
    assert fresh(taken).status == Claim.Status.WITHDRAWN


def test_only_the_buyer_can_withdraw(group, buyer):
    taken, _ = claim(offer_id=group.pk, buyer=buyer, quantity=4)
    for other in (factories.user(), group.merchant.user, factories.staff()):
        with pytest.raises(NotFound):
            withdraw(claim_id=taken.pk, buyer=other)
    assert fresh(taken).status == Claim.Status.ACTIVE
    assert fresh(group).sold == 4


@pytest.mark.parametrize("kind", ["flash_sale", "dutch_auction"])
def test_reservations_are_not_withdrawn_but_cancelled_through_their_order(kind, merchant, buyer):
    offer = factories.offer(
        kind, merchant_=merchant, stock=5, **({"terms": {"unit_price": "5.00"}} if kind == "flash_sale" else {})
    )
    taken, _ = claim(offer_id=offer.pk, buyer=buyer, quantity=2)
    with pytest.raises(Conflict) as exc:
        withdraw(claim_id=taken.pk, buyer=buyer)
    assert exc.value.code == "not_withdrawable"
    assert fresh(taken).status == Claim.Status.ORDERED
    assert fresh(offer).sold == 2


def test_withdraw_is_allowed_after_the_target_without_the_lock(group, buyer, buyers):
    taken, _ = claim(offer_id=group.pk, buyer=buyer, quantity=5)
    for member in buyers:
        claim(offer_id=group.pk, buyer=member, quantity=5)
    assert withdraw(claim_id=taken.pk, buyer=buyer) is True
    assert fresh(group).sold == 15


def test_lock_when_reached_makes_commitments_final_once_the_target_is_met(merchant, buyer, buyers):
    offer = factories.offer("group_buy", merchant_=merchant, terms={**TERMS, "lock_when_reached": True})
    taken, _ = claim(offer_id=offer.pk, buyer=buyer, quantity=4)
    early, _ = claim(offer_id=offer.pk, buyer=buyers[0], quantity=2)
    assert withdraw(claim_id=early.pk, buyer=buyers[0]) is True  # below the target: still free to leave
    claim(offer_id=offer.pk, buyer=buyers[1], quantity=6)  # 10 of 10
    with pytest.raises(Conflict) as exc:
        withdraw(claim_id=taken.pk, buyer=buyer)
    assert exc.value.code == errors.THRESHOLD_LOCKED
    assert fresh(taken).status == Claim.Status.ACTIVE
    assert fresh(offer).sold == 10


def test_withdraw_after_the_close_is_refused(group, buyer, buyers):
    taken, _ = claim(offer_id=group.pk, buyer=buyer, quantity=5)
    for member in buyers:
        claim(offer_id=group.pk, buyer=member, quantity=5)
    assert lifecycle.close_offer(offer_id=group.pk, now=group.ends_at) is True
    with pytest.raises(Conflict) as exc:
        withdraw(claim_id=taken.pk, buyer=buyer)
    assert exc.value.code == errors.CLOSED
    assert fresh(taken).status == Claim.Status.ORDERED
    assert fresh(group).sold == 20


def test_withdraw_at_the_end_is_refused_even_before_the_sweeper_closes(clock, merchant, buyer):
    offer = factories.offer("group_buy", merchant_=merchant, terms=TERMS, ends_at=clock.now + timedelta(hours=1))
    taken, _ = claim(offer_id=offer.pk, buyer=buyer, quantity=3)
    clock.set(offer.ends_at)
    with pytest.raises(Conflict) as exc:
        withdraw(claim_id=taken.pk, buyer=buyer)
    assert exc.value.code == errors.CLOSED
    assert fresh(taken).status == Claim.Status.ACTIVE
    assert fresh(offer).status == Offer.Status.LIVE
    assert offer.sold == 3


def test_withdraw_from_a_cancelled_offer_is_refused(group, buyer):
    taken, _ = claim(offer_id=group.pk, buyer=buyer, quantity=3)
    lifecycle.cancel_offer(offer_id=group.pk, actor=group.merchant.user, reason="Supplier closed")
    with pytest.raises(Conflict) as exc:
        withdraw(claim_id=taken.pk, buyer=buyer)
    assert exc.value.code == errors.CLOSED
    assert fresh(taken).status == Claim.Status.RELEASED


def test_withdraw_of_an_unknown_claim_is_not_found(buyer):
    with pytest.raises(NotFound):
        withdraw(claim_id=123_456, buyer=buyer)
