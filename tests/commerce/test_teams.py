"""Team buys (services/teams.py): open a team, join it, complete it when it fills, fail it when
its time is up (its ETA task, the sweeper, the offer's end, a cancellation), exactly once. Every
refusal is checked to change nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community_commerce import errors
from community_commerce.errors import CommerceError
from community_commerce.models import Claim, ClaimTally, Coupon, CouponUse, Offer, Order, ShareLink, Team
from community_commerce.services import coupons, lifecycle, links, schedule, teams
from forum.models import Notification
from tests import factories as f
from tests.commerce.conftest import notes, thread_events

pytestmark = pytest.mark.django_db

TERMS = {"unit_price": "29.90", "solo_price": "39.90", "team_size": 3, "team_hours": 24}


@pytest.fixture
def offer(merchant, merchant_thread):
    return f.offer(
        "team_buy", merchant_=merchant, thread_=merchant_thread, stock=10, per_user_limit=4, terms=TERMS,
        ends_at=timezone.now() + timedelta(days=3),
    )  # fmt: skip


@pytest.fixture
def members(db):
    return [f.user(name) for name in ("alice", "bob", "carol", "dan", "erin")]


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def world(offer):
    """Everything a refused request must leave as it was."""
    o = fresh(offer)
    return (
        o.sold,
        o.status,
        list(Team.objects.order_by("id").values_list("id", "status", "members")),
        list(Claim.objects.order_by("id").values_list("id", "status", "quantity")),
        list(ClaimTally.objects.order_by("id").values_list("buyer_id", "taken")),
        list(Coupon.objects.order_by("id").values_list("id", "uses")),
        CouponUse.objects.filter(status="live").count(),
        Order.objects.count(),
    )


def tallies(offer):
    return dict(ClaimTally.objects.filter(offer=offer).values_list("buyer_id", "taken"))


def assert_tallies_cover_claims(offer):
    """A tally is never less than the units its member's claims hold (never more than one
    recount from exact: a failed team leaves it as it was)."""
    held = dict(
        Claim.objects.filter(offer=offer, status__in=Claim.HOLDING)
        .values("buyer_id").annotate(n=Sum("quantity")).values_list("buyer_id", "n")
    )  # fmt: skip
    for buyer_id, taken in tallies(offer).items():
        assert taken >= held.get(buyer_id, 0), (buyer_id, taken, held)
    assert set(held) <= set(tallies(offer))


def refused(code, call, offer):
    before = world(offer)
    with pytest.raises(CommerceError) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    assert world(offer) == before
    return caught.value


# --- Opening ------------------------------------------------------------------------------------------


def test_opening_a_team_is_the_leaders_claim_and_takes_their_units(offer, members):
    now = timezone.now()
    team = teams.open_team(offer_id=offer.pk, leader=members[0], quantity=2, now=now)
    assert (team.size, team.members, team.status, team.needed) == (3, 1, "open", 2)
    assert team.expires_at == now + timedelta(hours=24)
    claim = Claim.objects.get(team=team)
    assert (claim.buyer, claim.quantity, claim.status, claim.unit_price) == (members[0], 2, "active", Decimal("29.90"))
    assert fresh(offer).sold == 2
    assert ClaimTally.objects.get(offer=offer, buyer=members[0]).taken == 2


def test_a_team_expires_at_the_offers_end_when_that_comes_first(merchant, members):
    offer = f.offer("team_buy", merchant_=merchant, terms=TERMS, ends_at=timezone.now() + timedelta(hours=2))
    team = teams.open_team(offer_id=offer.pk, leader=members[0])
    assert team.expires_at == offer.ends_at


def test_a_team_larger_than_the_stock_left_is_refused(offer, members):
    Offer.objects.filter(pk=offer.pk).update(sold=8)  # 2 left: a team of 3 cannot be seated
    err = refused(
        errors.NOT_ENOUGH_STOCK, lambda: teams.open_team(offer_id=offer.pk, leader=members[0], quantity=1), offer
    )
    assert err.status == 409
    Offer.objects.filter(pk=offer.pk).update(sold=7)  # 3 left: exactly one team of one unit each
    assert teams.open_team(offer_id=offer.pk, leader=members[0], quantity=1).members == 1
    assert fresh(offer).sold == 8
    Offer.objects.filter(pk=offer.pk).update(sold=5)  # 5 left: 3 units for the leader and 2 seats would be 5
    refused(errors.NOT_ENOUGH_STOCK, lambda: teams.open_team(offer_id=offer.pk, leader=members[1], quantity=4), offer)


@pytest.mark.parametrize(
    ("quantity", "code"),
    [(0, "invalid_quantity"), ("abc", "invalid_quantity"), (1.5, "invalid_quantity"), (5, errors.LIMIT_EXCEEDED)],
)
def test_bad_quantities_are_refused_with_their_code(offer, members, quantity, code):
    refused(code, lambda: teams.open_team(offer_id=offer.pk, leader=members[0], quantity=quantity), offer)


def test_the_merchant_cannot_open_a_team_of_their_own_offer(offer, merchant):
    err = refused(errors.OWN_OFFER, lambda: teams.open_team(offer_id=offer.pk, leader=merchant.user), offer)
    assert err.status == 403


def test_only_a_team_buy_has_teams(merchant, members):
    sale = f.offer("flash_sale", merchant_=merchant)
    refused(errors.NOT_A_TEAM_BUY, lambda: teams.open_team(offer_id=sale.pk, leader=members[0]), sale)


def test_a_team_buy_is_not_claimed_directly_but_through_its_teams(offer, members):
    """POST .../claims on a team buy (the fuzzer found a 500 here): 409 with its code, nothing changes."""
    before = world(offer)
    client = logged_in(members[0])
    answer = client.post(
        f"/api/v1/offers/{offer.pk}/claims", {"quantity": 1, "idempotency_key": "k1"}, content_type="application/json"
    )
    assert answer.status_code == 409 and answer.json()["code"] == errors.NOT_CLAIMABLE
    # The card's claim form says the same, in the member's language, and goes back to the offer.
    page = client.post(reverse("community_commerce:claim", args=[offer.pk]), {"quantity": 1}, follow=True,
                       HTTP_ACCEPT_LANGUAGE="zh-hans")  # fmt: skip
    assert "开一个团或加入一个团即可购买此优惠。" in page.content.decode()
    assert world(offer) == before


def test_an_ended_offer_opens_no_team(merchant, members):
    offer = f.offer("team_buy", merchant_=merchant, terms=TERMS, starts_at=timezone.now() - timedelta(days=2),
                    ends_at=timezone.now() - timedelta(seconds=1))  # fmt: skip
    refused(errors.CLOSED, lambda: teams.open_team(offer_id=offer.pk, leader=members[0]), offer)


def test_the_same_idempotency_key_returns_the_first_team(offer, members):
    first = teams.open_team(offer_id=offer.pk, leader=members[0], idempotency_key="k1")
    again = teams.open_team(offer_id=offer.pk, leader=members[0], idempotency_key="k1")
    assert (again.pk, again.replayed, first.replayed) == (first.pk, True, False)
    assert Team.objects.count() == 1 and fresh(offer).sold == 1
    refused(
        errors.IDEMPOTENCY_KEY_REUSED,
        lambda: teams.open_team(offer_id=offer.pk, leader=members[0], quantity=2, idempotency_key="k1"),
        offer,
    )


# --- Joining ------------------------------------------------------------------------------------------


def test_joining_takes_a_seat_and_the_members_units(offer, members):
    team = teams.open_team(offer_id=offer.pk, leader=members[0])
    claim = teams.join_team(team_id=team.pk, member=members[1], quantity=2)
    assert (claim.status, claim.quantity, claim.team_id, claim.unit_price) == ("active", 2, team.pk, Decimal("29.90"))
    assert fresh(team).members == 2
    assert fresh(offer).sold == 3


def test_a_member_cannot_take_two_seats_in_one_team(offer, members):
    team = teams.open_team(offer_id=offer.pk, leader=members[0])
    refused(errors.ALREADY_IN_TEAM, lambda: teams.join_team(team_id=team.pk, member=members[0]), offer)
    teams.join_team(team_id=team.pk, member=members[1])
    refused(errors.ALREADY_IN_TEAM, lambda: teams.join_team(team_id=team.pk, member=members[1]), offer)


def test_a_member_may_open_one_team_and_join_another(offer, members):
    mine = teams.open_team(offer_id=offer.pk, leader=members[0])
    theirs = teams.open_team(offer_id=offer.pk, leader=members[1])
    teams.join_team(team_id=theirs.pk, member=members[0])
    assert Claim.objects.filter(buyer=members[0], status="active").count() == 2
    assert fresh(mine).members == 1 and fresh(theirs).members == 2


def test_a_full_team_refuses_another_member(offer, members):
    team = teams.open_team(offer_id=offer.pk, leader=members[0])
    teams.join_team(team_id=team.pk, member=members[1])
    teams.join_team(team_id=team.pk, member=members[2])  # fills it: complete
    refused(errors.TEAM_CLOSED, lambda: teams.join_team(team_id=team.pk, member=members[3]), offer)
    # a full team still open (as a join leaves it just before its completion) says full
    Team.objects.filter(pk=team.pk).update(status="open")
    refused(errors.TEAM_FULL, lambda: teams.join_team(team_id=team.pk, member=members[3]), offer)


def test_an_expired_or_failed_team_refuses_members(offer, members):
    team = teams.open_team(offer_id=offer.pk, leader=members[0])
    Team.objects.filter(pk=team.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused(errors.TEAM_CLOSED, lambda: teams.join_team(team_id=team.pk, member=members[1]), offer)
    assert teams.fail_team(team_id=team.pk)
    refused(errors.TEAM_CLOSED, lambda: teams.join_team(team_id=team.pk, member=members[1]), offer)


def test_the_merchant_cannot_join_and_a_missing_team_is_not_found(offer, merchant, members):
    team = teams.open_team(offer_id=offer.pk, leader=members[0])
    refused(errors.OWN_OFFER, lambda: teams.join_team(team_id=team.pk, member=merchant.user), offer)
    refused("not_found", lambda: teams.join_team(team_id=team.pk + 100, member=members[1]), offer)
    refused("invalid_quantity", lambda: teams.join_team(team_id=team.pk, member=members[1], quantity=-1), offer)


def test_a_join_beyond_the_stock_is_sold_out(merchant, members):
    offer = f.offer("team_buy", merchant_=merchant, stock=3, terms=TERMS)
    team = teams.open_team(offer_id=offer.pk, leader=members[0])
    teams.join_team(team_id=team.pk, member=members[1])
    refused(errors.SOLD_OUT, lambda: teams.join_team(team_id=team.pk, member=members[2], quantity=2), offer)


# --- Completing -----------------------------------------------------------------------------------------


def test_the_seat_that_fills_the_team_completes_it_at_once(offer, members, django_capture_on_commit_callbacks):
    now = timezone.now()
    team = teams.open_team(offer_id=offer.pk, leader=members[0], quantity=2, now=now)
    teams.join_team(team_id=team.pk, member=members[1], now=now)
    with django_capture_on_commit_callbacks(execute=True):
        last = teams.join_team(team_id=team.pk, member=members[2], now=now)
    assert (fresh(team).status, fresh(team).members, fresh(team).closed_at) == ("complete", 3, now)
    assert last.status == "ordered" and last.order is not None and last.team_completed
    orders = list(Order.objects.filter(offer=offer).order_by("id"))
    assert [(o.buyer, o.quantity, o.total, o.status) for o in orders] == [
        (members[0], 2, Decimal("59.80"), "pending_payment"),
        (members[1], 1, Decimal("29.90"), "pending_payment"),
        (members[2], 1, Decimal("29.90"), "pending_payment"),
    ]
    assert {o.payment_due_at for o in orders} == {now + timedelta(hours=teams.PAYMENT_HOURS)}
    assert all(o.events.count() == 1 for o in orders)
    assert set(Claim.objects.filter(team=team).values_list("status", flat=True)) == {"ordered"}
    assert thread_events(offer.thread_id)[-1] == "Team complete: 3 members, 4 units at 29.90 EUR (“A team buy”)"
    for member, order in zip(members[:3], orders, strict=True):
        [note] = notes(member, "team_complete")
        assert order.number in note.text and note.url == reverse("community_commerce:order", args=[order.pk])
    assert fresh(offer).sold == 4


def test_a_coupon_is_reserved_with_the_claim_and_applied_at_completion(offer, members, merchant):
    coupon = coupons.create_coupon(user=merchant.user, offer_id=offer.pk, discount_type="amount", value="5.00")
    team = teams.open_team(offer_id=offer.pk, leader=members[0], coupon=coupon.code.lower())
    assert fresh(coupon).uses == 1 and CouponUse.objects.get().status == "live"
    teams.join_team(team_id=team.pk, member=members[1])
    teams.join_team(team_id=team.pk, member=members[2], coupon=coupon.code)
    orders = {o.buyer_id: o for o in Order.objects.filter(offer=offer)}
    assert orders[members[0].pk].total == Decimal("24.90") and orders[members[0].pk].coupon_id == coupon.pk
    assert orders[members[1].pk].total == Decimal("29.90") and orders[members[1].pk].coupon_id is None
    assert orders[members[2].pk].discount == Decimal("5.00")
    assert fresh(coupon).uses == 2


def test_an_unpaid_complete_teams_order_expires_like_a_reservation(offer, members):
    now = timezone.now()
    team = teams.open_team(offer_id=offer.pk, leader=members[0], now=now)
    for member in members[1:3]:
        teams.join_team(team_id=team.pk, member=member, now=now)
    assert lifecycle.expire_reservations(now=now + timedelta(hours=teams.PAYMENT_HOURS, seconds=1)) == 3
    assert set(Claim.objects.filter(team=team).values_list("status", flat=True)) == {"expired"}
    assert fresh(offer).sold == 0


# --- Failing --------------------------------------------------------------------------------------------


def test_a_team_that_does_not_fill_fails_at_its_end_and_gives_everything_back(
    offer, members, merchant, django_capture_on_commit_callbacks
):
    coupon = coupons.create_coupon(user=merchant.user, offer_id=offer.pk, discount_type="percent", value="10")
    now = timezone.now()
    team = teams.open_team(offer_id=offer.pk, leader=members[0], quantity=2, coupon=coupon.code, now=now)
    teams.join_team(team_id=team.pk, member=members[1], now=now)
    other = teams.open_team(offer_id=offer.pk, leader=members[2], now=now)
    assert fresh(offer).sold == 4 and fresh(coupon).uses == 1
    assert not teams.fail_team(team_id=team.pk, now=now + timedelta(hours=23))  # not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert teams.fail_team(team_id=team.pk, now=team.expires_at)
    team = fresh(team)
    assert (team.status, team.closed_at) == ("failed", team.expires_at)
    assert set(Claim.objects.filter(team=team).values_list("status", flat=True)) == {"released"}
    assert fresh(offer).sold == 1  # the other team's unit
    assert_tallies_cover_claims(offer)  # left as they were (recounted when one refuses a take)
    assert fresh(coupon).uses == 0 and CouponUse.objects.get().status == "released"
    for member in members[:2]:
        [note] = notes(member, "team_failed")
        assert "did not fill in time (2 of 3)" in note.text
        assert note.url == teams.team_url(team)
    assert notes(members[2], "team_failed") == []
    assert fresh(other).status == "open"
    # delivered twice: nothing changes
    before = world(offer), Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert not teams.fail_team(team_id=team.pk, now=team.expires_at + timedelta(seconds=5))
    assert (world(offer), Notification.objects.count()) == before
    # The failed team's members have their whole limit (4) back: the leader's stale tally (2)
    # refuses 4 more, is recounted from their claims (0 held) and the take goes through.
    later = team.expires_at + timedelta(seconds=10)
    again = teams.open_team(offer_id=offer.pk, leader=members[0], quantity=4, now=later)
    teams.join_team(team_id=again.pk, member=members[1], quantity=4, now=later)
    assert tallies(offer)[members[0].pk] == 4 == tallies(offer)[members[1].pk]
    assert_tallies_cover_claims(offer)


def test_a_recount_never_frees_units_a_member_still_holds(offer, members):
    """A tally that refuses is recounted, but units held in an open team stay counted: over the
    limit is still refused, and the refusal changes nothing (the recount rolls back with it)."""
    now = timezone.now()
    first = teams.open_team(offer_id=offer.pk, leader=members[0], quantity=3, now=now)
    failing = teams.open_team(offer_id=offer.pk, leader=members[1], now=now)
    teams.join_team(team_id=failing.pk, member=members[0], now=now)  # members[0] now holds 4, the limit
    assert teams.fail_team(team_id=failing.pk, now=failing.expires_at)  # 1 of them released; the tally says 4
    assert tallies(offer)[members[0].pk] == 4
    other = teams.open_team(offer_id=offer.pk, leader=members[2], now=failing.expires_at)
    later = failing.expires_at + timedelta(seconds=1)
    refused(
        errors.LIMIT_EXCEEDED,
        lambda: teams.join_team(team_id=other.pk, member=members[0], quantity=2, now=later),
        offer,
    )
    teams.join_team(team_id=other.pk, member=members[0], quantity=1, now=later)  # 3 held + 1: within the limit
    assert tallies(offer)[members[0].pk] == 4 and fresh(first).status == "open"
    assert_tallies_cover_claims(offer)


def test_a_failed_team_frees_a_sold_out_offer(merchant, members):
    offer = f.offer("team_buy", merchant_=merchant, stock=3, terms=TERMS)
    team = teams.open_team(offer_id=offer.pk, leader=members[0])
    teams.join_team(team_id=team.pk, member=members[1])
    Offer.objects.filter(pk=offer.pk).update(sold=3, status="sold_out")
    assert teams.fail_team(team_id=team.pk, now=team.expires_at)
    offer = fresh(offer)
    assert (offer.sold, offer.status) == (1, "live")


def test_the_sweeper_fails_every_expired_team_in_batches_exactly_once(offer, members):
    now = timezone.now()
    opened = [teams.open_team(offer_id=offer.pk, leader=m, now=now) for m in members]
    Team.objects.update(expires_at=now - timedelta(seconds=1))
    Team.objects.filter(pk=opened[4].pk).update(expires_at=now + timedelta(hours=1))  # not due
    assert teams.fail_due(now=now, batch=2) == 4
    assert teams.fail_due(now=now, batch=2) == 0
    assert list(Team.objects.order_by("id").values_list("status", flat=True)) == ["failed"] * 4 + ["open"]
    assert fresh(offer).sold == 1


def test_the_sweep_fails_due_teams_and_queues_the_next_ones_once(offer, members):
    now = timezone.now()
    due = teams.open_team(offer_id=offer.pk, leader=members[0], now=now)
    soon = teams.open_team(offer_id=offer.pk, leader=members[1], now=now)
    Team.objects.filter(pk=due.pk).update(expires_at=now - timedelta(seconds=1))
    Team.objects.filter(pk=soon.pk).update(expires_at=now + timedelta(seconds=1))
    counts = schedule.sweep(now=now)
    assert counts["teams_failed"] == 1 and fresh(due).status == "failed"
    assert teams.queue_precise_tasks(now=now) == 0  # the sweep queued it already: once per team and moment


def test_teams_still_open_at_the_offers_end_fail_with_it(merchant, members, django_capture_on_commit_callbacks):
    now = timezone.now()
    offer = f.offer("team_buy", merchant_=merchant, stock=10, terms=TERMS, ends_at=now + timedelta(hours=1))
    full = teams.open_team(offer_id=offer.pk, leader=members[0], now=now)
    for member in members[1:3]:
        teams.join_team(team_id=full.pk, member=member, now=now)
    half = teams.open_team(offer_id=offer.pk, leader=members[3], quantity=2, now=now)
    teams.join_team(team_id=half.pk, member=members[4], now=now)
    assert fresh(offer).sold == 6
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at)
    offer = fresh(offer)
    assert (offer.status, offer.sold) == ("closed", 3)
    assert fresh(half).status == "failed" and fresh(full).status == "complete"
    assert set(Claim.objects.filter(team=half).values_list("status", flat=True)) == {"released"}
    assert Order.objects.filter(offer=offer, status="pending_payment").count() == 3
    assert len(notes(members[3], "team_failed")) == 1 and len(notes(members[4], "team_failed")) == 1
    assert thread_events(offer.thread_id)[-1] == "Team buy ended: 3 of 10 units sold"
    # the sweeper and the team's own task find nothing more to do
    assert teams.fail_due(now=offer.ends_at + timedelta(seconds=1)) == 0
    assert not teams.fail_team(team_id=half.pk, now=offer.ends_at + timedelta(seconds=1))


def test_cancelling_the_offer_fails_its_open_teams_without_giving_units_back_twice(offer, members, merchant):
    team = teams.open_team(offer_id=offer.pk, leader=members[0], quantity=2)
    teams.join_team(team_id=team.pk, member=members[1])
    sold = fresh(offer).sold
    assert lifecycle.cancel_offer(offer_id=offer.pk, actor=merchant.user, reason="Out of stock")
    assert fresh(team).status == "failed"
    assert set(Claim.objects.filter(team=team).values_list("status", flat=True)) == {"released"}
    assert fresh(offer).sold == sold  # a cancelled offer keeps its count; nothing was returned twice
    assert teams.fail_due(now=timezone.now() + timedelta(days=2)) == 0


# --- Finding teams for the card, sharing them ---------------------------------------------------------------


def test_open_teams_and_counts_for_the_card_in_one_query_each(offer, members, merchant):
    other = f.offer("team_buy", merchant_=merchant, terms=TERMS)
    first = teams.open_team(offer_id=offer.pk, leader=members[0])
    second = teams.open_team(offer_id=offer.pk, leader=members[1])
    gone = teams.open_team(offer_id=offer.pk, leader=members[2])
    Team.objects.filter(pk=gone.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with CaptureQueriesContext(connection) as queries:
        found = teams.open_teams_of([offer.pk, other.pk])
        names = [t.leader.username for t in found[offer.pk]]
    assert len(queries) == 1
    assert [t.pk for t in found[offer.pk]] == [first.pk, second.pk] and found[other.pk] == []
    assert names == ["alice", "bob"]
    with CaptureQueriesContext(connection) as queries:
        assert teams.team_counts([offer.pk, other.pk]) == {offer.pk: 2, other.pk: 0}
    assert len(queries) == 1
    assert teams.open_teams_of([]) == {} and teams.team_counts([]) == {}


def test_a_teams_share_link_leads_to_its_page_and_the_offer_link_stays_its_own(offer, members):
    team = teams.open_team(offer_id=offer.pk, leader=members[0])
    link = teams.team_link(team=team, user=members[0])
    assert teams.team_link(team=team, user=members[0]).pk == link.pk
    assert (link.team_id, link.offer_id, link.thread_id) == (team.pk, offer.pk, offer.thread_id)
    assert links.target_url(link) == teams.team_url(team) == reverse("community_commerce:team", args=[team.pk])
    offer_link, created = links.get_or_create_link(user=members[0], offer_id=offer.pk)
    assert created and offer_link.pk != link.pk and offer_link.team_id is None
    assert links.get_or_create_link(user=members[0], offer_id=offer.pk) == (offer_link, False)
    response = Client().get(f"/r/{link.code}")
    assert response.status_code == 302 and response["Location"] == teams.team_url(team)
    # a member who came through it joins with its channel and link
    friend = members[1]
    claim = teams.join_team(team_id=team.pk, member=friend, ref=link.code)
    assert claim.link_id == link.pk


# --- Pages ----------------------------------------------------------------------------------------------


def logged_in(member):
    client = Client()
    client.force_login(member)
    return client


def test_opening_a_team_from_the_card_leads_to_its_page_with_a_share_link_and_qr(offer, members):
    client = logged_in(members[0])
    response = client.post(reverse("community_commerce:open_team", args=[offer.pk]), {"quantity": "1"})
    team = Team.objects.get()
    assert response.status_code == 302 and response["Location"] == teams.team_url(team)
    page = client.get(teams.team_url(team))
    html = page.content.decode()
    assert page.status_code == 200
    link = ShareLink.objects.get(team=team, owner=members[0])
    assert f"http://testserver/r/{link.code}" in html and "<svg" in html
    assert "1 of 3 members" in html and "2 more members needed." in html
    assert "Your team: share it so it fills in time." in html
    assert reverse("community_commerce:join_team", args=[team.pk]) not in html
    assert "data-countdown" in html and "data-server-now" in html


def test_a_visitor_sees_the_team_and_a_member_joins_it_with_the_form(offer, members):
    team = teams.open_team(offer_id=offer.pk, leader=members[0])
    anonymous = Client().get(teams.team_url(team)).content.decode()
    assert "Log in to join" in anonymous and "alice" in anonymous
    client = logged_in(members[1])
    page = client.get(teams.team_url(team)).content.decode()
    assert reverse("community_commerce:join_team", args=[team.pk]) in page
    response = client.post(reverse("community_commerce:join_team", args=[team.pk]), {"quantity": "1"}, follow=True)
    assert "You joined the team. It goes through when 1 more join." in response.content.decode()
    assert fresh(team).members == 2
    again = client.post(reverse("community_commerce:join_team", args=[team.pk]), {"quantity": "1"}, follow=True)
    assert "You are already in this team." in again.content.decode()
    done = logged_in(members[2]).post(
        reverse("community_commerce:join_team", args=[team.pk]), {"quantity": "1"}, follow=True
    )
    assert "The team is complete. Pay to complete your order" in done.content.decode()
    assert "Complete: every member has an order at the team price." in done.content.decode()


def test_a_refused_opening_goes_back_to_the_offer_with_the_reason(offer, members, merchant):
    client = logged_in(merchant.user)
    response = client.post(reverse("community_commerce:open_team", args=[offer.pk]), {"quantity": "1"})
    assert response.status_code == 302 and response["Location"] == offer.get_absolute_url()
    assert Team.objects.count() == 0
    bad = logged_in(members[0]).post(reverse("community_commerce:open_team", args=[offer.pk]), {"quantity": "x"})
    assert bad.status_code == 302 and Team.objects.count() == 0
    assert Client().get(reverse("community_commerce:team", args=[999])).status_code == 404
