"""The buyer's "you joined / you reserved" notice, told by the sweeper once per claim."""

import pytest

from community_commerce.models import Claim
from community_commerce.services import claim_notices
from community_commerce.services.claim import claim
from community_commerce.services.schedule import sweep
from community_commerce.services.withdraw import withdraw
from forum.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


def told(member):
    return list(Notification.objects.filter(recipient=member, kind="offer_joined").values_list("text", flat=True))


def test_each_claim_is_told_once_in_its_buyers_words():
    flash = factories.offer("flash_sale", stock=10, title="Cherries", terms={"unit_price": "5.00"})
    group = factories.offer("group_buy", title="Olive oil")
    buyer = factories.user()
    claim(offer_id=flash.pk, buyer=buyer, quantity=2)
    claim(offer_id=group.pk, buyer=buyer, quantity=3)
    assert told(buyer) == []

    assert sweep()["told"] == 2
    assert sorted(told(buyer)) == [
        "You joined the group-buy “Olive oil” with 3. It goes through if enough join by the deadline.",
        "You reserved 2 of “Cherries”. Pay before the reservation expires.",
    ]
    urls = set(Notification.objects.filter(recipient=buyer).values_list("url", flat=True))
    assert urls == {flash.get_absolute_url(), group.get_absolute_url()}
    # a second sweep, or the same batch delivered again, tells nobody twice
    assert sweep()["told"] == 0
    assert claim_notices.send_pending() == 0
    assert len(told(buyer)) == 2
    assert not Claim.objects.filter(notified_at__isnull=True).exists()


def test_a_claim_withdrawn_before_the_sweep_is_not_told():
    group = factories.offer("group_buy")
    buyer = factories.user()
    taken, _ = claim(offer_id=group.pk, buyer=buyer, quantity=1)
    withdraw(claim_id=taken.pk, buyer=buyer)
    assert claim_notices.send_pending() == 0
    assert told(buyer) == []
    assert Claim.objects.get(pk=taken.pk).notified_at is not None  # looked at once, never again


def test_a_batch_tells_the_oldest_claims_first_and_leaves_the_rest_for_the_next_sweep():
    flash = factories.offer("flash_sale", stock=10, terms={"unit_price": "5.00"})
    buyers = [factories.user() for _ in range(3)]
    for member in buyers:
        claim(offer_id=flash.pk, buyer=member, quantity=1)
    assert claim_notices.send_pending(limit=2) == 2
    assert [len(told(m)) for m in buyers] == [1, 1, 0]
    assert claim_notices.send_pending(limit=2) == 1
    assert [len(told(m)) for m in buyers] == [1, 1, 1]
