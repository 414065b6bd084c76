"""Crowds race for team seats through HTTP against gunicorn with several worker processes
(PostgreSQL): 100 members for the last 2 seats of 30 teams, with less stock left than
seats; then 50 members for the very last seat of one team. No team is ever over its size,
every full team completed once, and the offer's count equals the units its claims hold."""

import random
from collections import Counter

from django.db.models import Sum
from django.utils import timezone

from community_commerce.models import Claim, ClaimTally, Order, Team
from community_commerce.services import teams
from tests import factories
from tests.concurrency.crowd import Call, crowd
from tests.concurrency.support import fresh, marks, members, session_token

pytestmark = marks()

SIZE, TEAMS, CROWD, TRIES = 4, 30, 100, 3
TERMS = {"unit_price": "29.90", "solo_price": "39.90", "team_size": SIZE, "team_hours": 24}


def seated_teams(offer, count, seated):
    """``count`` teams with ``seated`` members each, opened and joined through the service."""
    people = members(count * seated, prefix="seated")
    made = []
    for i in range(count):
        group = people[i * seated : (i + 1) * seated]
        team = teams.open_team(offer_id=offer.pk, leader=group[0])
        for member in group[1:]:
            teams.join_team(team_id=team.pk, member=member)
        made.append(team)
    return made


def check_books(offer):
    """Seats, claims, orders and the offer's count agree."""
    offer = fresh(offer)
    for team in Team.objects.filter(offer=offer):
        holding = Claim.objects.filter(team=team, status__in=Claim.HOLDING)
        if team.status == Team.Status.FAILED:
            assert not holding.exists(), f"failed team {team.pk} still holds claims"
            continue
        assert team.members <= team.size, f"team {team.pk} has {team.members} of {team.size}"
        assert holding.count() == team.members, (team.pk, team.members, holding.count())
        assert holding.values("buyer").distinct().count() == team.members  # one seat per member
        if team.members == team.size:
            assert team.status == Team.Status.COMPLETE
            assert set(holding.values_list("status", flat=True)) == {Claim.Status.ORDERED}
            assert Order.objects.filter(claim__team=team).count() == team.size
        else:
            assert team.status == Team.Status.OPEN
            assert set(holding.values_list("status", flat=True)) == {Claim.Status.ACTIVE}
    held = Claim.objects.filter(offer=offer, status__in=Claim.HOLDING).aggregate(n=Sum("quantity"))["n"] or 0
    assert offer.sold == held, f"sold {offer.sold}, claims hold {held}"
    assert offer.sold <= offer.stock
    return offer


def test_100_members_race_for_the_last_2_seats_of_30_teams(live):
    seats_left = TEAMS * 2
    stock = TEAMS * (SIZE - 2) + seats_left - 10  # 10 units fewer than the seats: the stock binds too
    offer = factories.offer("team_buy", stock=stock, terms=TERMS, ends_at=timezone.now() + timezone.timedelta(days=2))
    made = seated_teams(offer, TEAMS, SIZE - 2)
    crowd_members = members(CROWD)
    tokens = {m.pk: session_token(m) for m in crowd_members}
    rng = random.Random(30)
    calls = [
        Call("POST", f"/api/v1/teams/{team.pk}/join", tokens[m.pk], {"quantity": 1}, tag=(m.pk, team.pk))
        for m in crowd_members
        for team in rng.sample(made, TRIES)
    ]
    rng.shuffle(calls)

    answers = crowd(live.base, calls)

    assert [a.error for a in answers if a.error] == [], "transport failures"
    assert {a.status for a in answers} <= {201, 409}, Counter((a.status, a.code) for a in answers)
    refusals = Counter(a.code for a in answers if a.status == 409)
    assert set(refusals) <= {"team_full", "team_closed", "sold_out"}, refusals
    won = [a for a in answers if a.status == 201]
    assert len(won) == seats_left - 10, f"{len(won)} seats taken; the stock left {seats_left - 10}"
    by_team = Counter(a.call.tag[1] for a in won)
    assert max(by_team.values()) <= 2, by_team
    for a in won:
        claim = Claim.objects.get(pk=a.body["id"])
        assert (claim.buyer_id, claim.team_id) == a.call.tag
    offer = check_books(offer)
    assert offer.sold == offer.stock and offer.status == "sold_out"
    completed = Team.objects.filter(offer=offer, status=Team.Status.COMPLETE).count()
    assert completed == sum(1 for n in by_team.values() if n == 2)
    assert Order.objects.filter(offer=offer).count() == completed * SIZE


def test_50_members_race_for_the_last_seat_of_one_team(live):
    offer = factories.offer("team_buy", stock=100, terms=TERMS)
    [team] = seated_teams(offer, 1, SIZE - 1)
    crowd_members = members(50)
    calls = [Call("POST", f"/api/v1/teams/{team.pk}/join", session_token(m), {"quantity": 1}) for m in crowd_members]

    answers = crowd(live.base, calls)

    assert [a.error for a in answers if a.error] == []
    statuses = Counter((a.status, a.code) for a in answers)
    assert statuses[(201, None)] == 1, statuses
    assert set(statuses) <= {(201, None), (409, "team_full"), (409, "team_closed")}, statuses
    [winner] = [a for a in answers if a.status == 201]
    assert winner.body["status"] == "ordered" and winner.body["order"] is not None
    team = Team.objects.get(pk=team.pk)
    assert (team.members, team.status) == (SIZE, Team.Status.COMPLETE)
    check_books(offer)
    assert fresh(offer).sold == SIZE


def test_one_member_racing_into_20_teams_after_a_failed_one_gets_exactly_their_limit(live):
    """A failed team leaves its members' tallies as they were; the recount of a refused take
    runs under the tally's lock, so 20 joins at once by the same member (limit 3, a stale tally
    of 3 from a failed team, nothing held) take exactly 3 seats."""
    limit = 3
    offer = factories.offer("team_buy", stock=500, per_user_limit=limit, terms=TERMS,
                            ends_at=timezone.now() + timezone.timedelta(days=2))  # fmt: skip
    [racer] = members(1, prefix="racer")
    failed = teams.open_team(offer_id=offer.pk, leader=racer, quantity=limit)
    assert teams.fail_team(team_id=failed.pk, now=Team.objects.get(pk=failed.pk).expires_at)
    assert ClaimTally.objects.get(offer=offer, buyer=racer).taken == limit  # stale: nothing is held
    made = seated_teams(offer, 20, 1)
    token = session_token(racer)
    calls = [Call("POST", f"/api/v1/teams/{team.pk}/join", token, {"quantity": 1}) for team in made]

    answers = crowd(live.base, calls)

    assert [a.error for a in answers if a.error] == []
    statuses = Counter((a.status, a.code) for a in answers)
    assert statuses == {(201, None): limit, (409, "limit_exceeded"): 20 - limit}, statuses
    held = Claim.objects.filter(offer=offer, buyer=racer, status__in=Claim.HOLDING).aggregate(n=Sum("quantity"))["n"]
    assert held == limit == ClaimTally.objects.get(offer=offer, buyer=racer).taken
    check_books(offer)
