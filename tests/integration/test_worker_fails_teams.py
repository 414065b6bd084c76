"""Celery fails teams on time with a real worker and beat on real Redis: nothing here calls a
service to fail anything. A team expiring in 5 s fails by its ETA task and gives everything
back; with that task lost, the sweeper does the same; a fail delivered twice changes nothing."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from community_commerce import tasks
from community_commerce.models import Claim, ClaimTally, Coupon, CouponUse, Offer, Team
from community_commerce.services import coupons, merchants, teams
from forum.models import Notification
from tests import factories as f
from tests.integration.conftest import SWEEP_SECONDS, wait_for

pytestmark = [pytest.mark.integration]

TERMS = {"unit_price": "29.90", "solo_price": "39.90", "team_size": 3, "team_hours": 24}


def _team(*, expires_in):
    """A team of two of three with a coupon used and per-member limits, expiring soon."""
    seller = f.user("grocer")
    merchant = merchants.apply(user=seller, display_name="Grocer", contact="555-0100")
    merchants.verify(merchant=merchant)
    offer = f.offer("team_buy", merchant_=merchant, stock=10, per_user_limit=3, terms=TERMS)
    coupon = coupons.create_coupon(user=seller, offer_id=offer.pk, discount_type="amount", value="2.00")
    ann, ben = f.user("ann"), f.user("ben")
    team = teams.open_team(offer_id=offer.pk, leader=ann, quantity=2, coupon=coupon.code)
    teams.join_team(team_id=team.pk, member=ben)
    expires_at = timezone.now() + timedelta(seconds=expires_in)
    Team.objects.filter(pk=team.pk).update(expires_at=expires_at)
    team.expires_at = expires_at
    assert Offer.objects.get(pk=offer.pk).sold == 3 and Coupon.objects.get(pk=coupon.pk).uses == 1
    return team, offer, coupon, (ann, ben)


def _failed(team):
    found = Team.objects.get(pk=team.pk)
    return found if found.status == Team.Status.FAILED else None


def _assert_released(team, offer, coupon, members):
    assert set(Claim.objects.filter(team=team).values_list("status", flat=True)) == {"released"}
    assert Offer.objects.get(pk=offer.pk).sold == 0
    _limits_free_again(offer, members)
    assert Coupon.objects.get(pk=coupon.pk).uses == 0
    assert set(CouponUse.objects.filter(coupon=coupon).values_list("status", flat=True)) == {"released"}
    told = Notification.objects.filter(kind="team_failed")
    # the notices are written just after the fail commits
    wait_for(lambda: told.count() == 2, timeout=10, message="both members told")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(m.pk for m in members)


def _limits_free_again(offer, members):
    """Each member may take their whole limit (3) again: a failed team leaves the tallies as they
    were, and one that refuses is recounted from the member's claims. Tried, then rolled back."""
    with transaction.atomic():
        for member in members:
            assert teams.open_team(offer_id=offer.pk, leader=member, quantity=3).leader_claim.quantity == 3
        transaction.set_rollback(True)


def _state(team, offer, coupon):
    return (
        Team.objects.filter(pk=team.pk).values_list("status", "closed_at", "members").get(),
        list(Claim.objects.filter(offer=offer).order_by("id").values_list("status", "ended_at")),
        Offer.objects.get(pk=offer.pk).sold,
        list(ClaimTally.objects.filter(offer=offer).order_by("id").values_list("taken", flat=True)),
        Coupon.objects.get(pk=coupon.pk).uses,
        Notification.objects.count(),
    )


def test_a_team_expiring_in_5_s_is_failed_by_its_eta_task_and_releases_everything(start_worker, beat):
    worker = start_worker()
    team, offer, coupon, members = _team(expires_in=5)
    failed = wait_for(lambda: _failed(team), timeout=5 + SWEEP_SECONDS * 3 + 10, message="the team's failure")
    lateness = (failed.closed_at - failed.expires_at).total_seconds()
    assert 0 <= lateness <= 1.0, f"failed {lateness:.2f}s after its end"
    assert "tasks.fail_team[" in worker.log.read_text()  # its precise task did it, not the sweeper
    _assert_released(team, offer, coupon, members)


def test_with_its_eta_task_lost_the_sweeper_fails_the_team_the_same_way(start_worker, beat):
    worker = start_worker()
    team, offer, coupon, members = _team(expires_in=5)
    # The task is lost: its once-per-moment mark is taken before any sweep can queue it.
    assert cache.add(f"cc:eta:team-fail:{team.pk}:{team.expires_at.timestamp()}", 1, timeout=60)
    failed = wait_for(lambda: _failed(team), timeout=5 + SWEEP_SECONDS * 3 + 10, message="the sweeper's fail")
    lateness = (failed.closed_at - failed.expires_at).total_seconds()
    assert 0 <= lateness <= SWEEP_SECONDS + 1.5, f"failed {lateness:.2f}s after its end"
    assert "tasks.fail_team[" not in worker.log.read_text()
    _assert_released(team, offer, coupon, members)


def test_a_fail_delivered_twice_changes_nothing(start_worker, beat):
    worker = start_worker()
    team, offer, coupon, members = _team(expires_in=3)
    wait_for(lambda: _failed(team), timeout=3 + SWEEP_SECONDS * 3 + 10, message="the team's failure")
    _assert_released(team, offer, coupon, members)
    before = _state(team, offer, coupon)

    def runs():
        log = worker.log.read_text(errors="replace")
        return sum(1 for line in log.splitlines() if "tasks.fail_team[" in line and "succeeded" in line)

    done = runs()
    tasks.fail_team.delay(team.pk)
    tasks.fail_team.delay(team.pk)
    wait_for(lambda: runs() >= done + 2, timeout=20, message="both deliveries run")
    time.sleep(SWEEP_SECONDS + 0.5)  # and a sweep more
    assert _state(team, offer, coupon) == before
