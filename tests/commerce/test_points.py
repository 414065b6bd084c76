"""Member points through the site's own paths: earned when an order completes (per unit of
its currency, pending for the refund window, then released by the sweeper), the referral
reward once per referred member, nothing between a merchant and their own accounts, the
daily cap, clawback on refund (pending or already spent, exactly once), spending stopped
while the balance is negative, and the kept balance equal to the ledger summed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from community_commerce.errors import Conflict, InvalidInput
from community_commerce.models import PointsBalance, PointsEntry
from community_commerce.services import points, refunds, schedule
from tests import factories
from tests.commerce.ledger_support import buy, flash, link_of, move, referred

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(merchant, merchant_thread):
    return flash(merchant, merchant_thread, price="12.50")


def figures(member):
    """The kept balance, which must equal the ledger summed (checked on every call)."""
    kept = points.balance_of(member)
    assert kept == points.recomputed(member)
    return kept["balance"], kept["pending"]


def entries(member):
    return list(PointsEntry.objects.filter(member=member).order_by("id").values_list("source", "state", "amount"))


def refunded(order):
    """Staff refund a completed order (the only way back from completed, with a reason)."""
    return move(order, "cancel", actor=factories.staff())


def completed(shop, buyer, *, quantity=1, now=None, **kw):
    return move(buy(shop, buyer, quantity=quantity, **kw), "pay", "ship", "complete", now=now)


def test_a_completed_order_earns_points_per_unit_pending_until_the_refund_window_passes(shop, buyer, settings):
    settings.COMMUNITY_COMMERCE_REFUND_DAYS = 7
    order = move(buy(shop, buyer, quantity=3), "pay", "ship")  # 37.50
    assert figures(buyer) == (0, 0)  # paid and shipped earn nothing yet
    move(order, "complete")
    assert figures(buyer) == (0, 37)  # whole points, rounded down
    (entry,) = PointsEntry.objects.filter(member=buyer)
    assert (entry.source, entry.state, entry.order_id, entry.offer_id) == ("order", "pending", order.pk, shop.pk)
    assert entry.available_at == entry.created_at + timedelta(days=7)

    assert schedule.sweep(now=entry.available_at - timedelta(seconds=1))["points"] == 0
    assert figures(buyer) == (0, 37)
    assert schedule.sweep(now=entry.available_at)["points"] == 1
    assert figures(buyer) == (37, 0)
    assert schedule.sweep(now=entry.available_at + timedelta(days=1))["points"] == 0  # once
    assert figures(buyer) == (37, 0)


def test_completion_delivered_twice_earns_once(shop, buyer):
    order = completed(shop, buyer)
    again = points.follow_order(order_id=order.pk, to_status="completed", now=timezone.now())
    assert again == []
    assert entries(buyer) == [("order", "pending", 12)]
    assert figures(buyer) == (0, 12)


def test_the_rate_follows_the_currency(merchant, merchant_thread, buyer, settings):
    settings.COMMUNITY_COMMERCE_POINTS_PER_UNIT_BY_CURRENCY = {"JPY": "0.01"}
    yen = flash(merchant, merchant_thread, price="1500", currency="JPY")
    completed(yen, buyer, quantity=2)  # 3000 yen
    assert figures(buyer) == (0, 30)
    euro = flash(merchant, merchant_thread, price="1500")
    completed(euro, factories.user("other"), quantity=1)
    assert PointsEntry.objects.get(member__username="other").amount == 1500  # the default rate, 1 per unit


def test_a_referred_member_s_first_completed_order_rewards_the_referrer_once(shop, settings):
    settings.COMMUNITY_COMMERCE_POINTS_REFERRAL = 100
    bob = factories.user("bob")
    carol = referred(link_of(bob, shop), "carol")
    completed(shop, carol)
    completed(shop, carol)  # her second order: the reward was for the first
    assert entries(bob) == [("referral", "pending", 100)]
    assert PointsEntry.objects.get(member=bob).referred_id == carol.pk
    assert figures(carol) == (0, 24)


def test_nothing_is_earned_between_a_merchant_and_their_own_accounts(merchant, merchant_thread):
    merchant.user.email = "shop@example.org"
    merchant.user.save(update_fields=["email"])
    shop = flash(merchant, merchant_thread)
    alias = factories.user("shop2", email="shop+second@example.org")
    completed(shop, alias)
    assert entries(alias) == []
    # The merchant's alias as a referrer earns no referral reward either.
    newcomer = referred(link_of(alias, shop), "newcomer")
    completed(shop, newcomer)
    assert entries(alias) == []
    assert entries(newcomer) == [("order", "pending", 10)]


def test_the_daily_cap_limits_what_a_member_earns_per_day(shop, buyer, settings):
    settings.COMMUNITY_COMMERCE_POINTS_DAILY_CAP = 30
    today = timezone.now()
    completed(shop, buyer, quantity=2, now=today)  # 25
    completed(shop, buyer, quantity=2, now=today)  # 25, capped to 5
    completed(shop, buyer, quantity=2, now=today)  # nothing left today
    assert [amount for _s, _st, amount in entries(buyer)] == [25, 5]
    completed(shop, buyer, quantity=1, now=today + timedelta(days=1))  # a new day
    assert [amount for _s, _st, amount in entries(buyer)] == [25, 5, 12]
    assert figures(buyer) == (0, 42)


def test_a_refund_claws_back_pending_points_and_both_entries_release_together(shop, buyer):
    order = completed(shop, buyer, quantity=2)
    assert figures(buyer) == (0, 25)
    refunded(order)
    assert entries(buyer) == [("order", "pending", 25), ("clawback", "pending", -25)]
    assert figures(buyer) == (0, 0)
    earning, clawback = PointsEntry.objects.filter(member=buyer).order_by("id")
    assert clawback.reverses_id == earning.pk and clawback.available_at == earning.available_at
    schedule.sweep(now=earning.available_at)
    assert figures(buyer) == (0, 0)
    assert entries(buyer) == [("order", "available", 25), ("clawback", "available", -25)]


def test_a_clawback_of_spent_points_goes_negative_and_stops_spending_until_positive(shop, buyer):
    order = completed(shop, buyer, quantity=4)  # 50
    points.release_due(now=timezone.now() + timedelta(days=30))
    points.spend(member=buyer, amount=40, reason="A guess")
    assert figures(buyer) == (10, 0)
    refunded(order)
    assert figures(buyer) == (-40, 0)
    with pytest.raises(Conflict) as refused:
        points.spend(member=buyer, amount=1, reason="A guess")
    assert refused.value.code == "not_enough_points"
    assert figures(buyer) == (-40, 0)  # the refusal changed nothing
    points.adjust(member=buyer, amount=45, reason="Goodwill after a mix-up", actor=None)
    assert points.spend(member=buyer, amount=5, reason="A guess").amount == -5
    assert figures(buyer) == (0, 0)


def test_the_clawback_happens_exactly_once(shop, buyer):
    order = completed(shop, buyer)
    refunded(order)
    now = timezone.now()
    assert points.claw_back(order_id=order.pk, now=now) == []  # delivered again
    assert [s for s, _st, _a in entries(buyer)] == ["order", "clawback"]
    assert figures(buyer) == (0, 0)
    assert "points" in [step.name for step in refunds.STEPS]


def test_spending_is_exact_and_never_overdraws(buyer):
    points.adjust(member=buyer, amount=30, reason="Welcome", actor=None)
    assert points.spend(member=buyer, amount=0, reason="A free game") is None
    points.spend(member=buyer, amount=30, reason="A guess")
    with pytest.raises(Conflict):
        points.spend(member=buyer, amount=1, reason="A guess")
    assert figures(buyer) == (0, 0)
    assert entries(buyer) == [("staff", "available", 30), ("guess", "available", -30)]


def test_staff_adjustments_need_a_reason_and_a_sensible_amount(buyer):
    for amount, reason, field in [(10, "  ", "reason"), (0, "why", "amount"), ("ten", "why", "amount"),
                                  (points.MAX_ADJUSTMENT + 1, "why", "amount")]:  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            points.adjust(member=buyer, amount=amount, reason=reason, actor=None)
        assert field in refused.value.fields
    assert not PointsEntry.objects.exists() and not PointsBalance.objects.exclude(available=0).exists()


def test_the_kept_balance_equals_the_ledger_after_a_mixed_history(shop, settings):
    settings.COMMUNITY_COMMERCE_POINTS_REFERRAL = 50
    bob = factories.user("bob")
    members = [referred(link_of(bob, shop), f"m{i}") for i in range(4)]
    orders = [completed(shop, member, quantity=i + 1) for i, member in enumerate(members)]
    points.release_due(now=timezone.now() + timedelta(days=30))
    refunded(orders[1])
    points.adjust(member=bob, amount=-20, reason="Correction", actor=None)
    points.spend(member=bob, amount=100, reason="A guess")
    for member in [bob, *members]:
        figures(member)  # asserts kept == recomputed
    assert figures(bob) == (4 * 50 - 50 - 20 - 100, 0)
