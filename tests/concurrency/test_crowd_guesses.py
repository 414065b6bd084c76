"""A crowd on a guessing game, through HTTP against gunicorn with several workers (PostgreSQL).

200 members guess at once, three requests each (the limit is two guesses a member), some
from two sessions with the same amount at the same moment, some with too few points for a
second guess, some out of the range. Every spend is exact (each balance equals the one
recomputed from the ledger, and the points spent equal the guesses made), nobody goes over
the guess limit or guesses one amount twice, and every refusal changed nothing. Then two
closes race: exactly one closes the game, with one order at the amount anyone recomputes
from the public table."""

import random
import threading
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import connections
from django.utils import timezone

from community_commerce.models import Claim, ClaimTally, Guess, Offer, Order, PointsEntry
from community_commerce.services import guesses, lifecycle, points
from tests import factories
from tests.concurrency.crowd import Call, crowd, one
from tests.concurrency.support import fresh, marks, members, session_token

pytestmark = marks()

MEMBERS, LIMIT, ENTRY = 200, 2, 10
TERMS = {"min_guess": "0.01", "max_guess": "9.99", "entry_points": ENTRY, "guesses_per_member": LIMIT}
TWO_SESSIONS = range(0, 40)  # two of their requests: the same amount from two sessions at once
POOR = range(40, 80)  # points for one guess only
OUT_OF_RANGE = range(80, 100)  # one of their three requests asks 10.00


def plan(offer, crowd_members, tokens, rng) -> list[Call]:
    calls = []
    path = f"/api/v1/offers/{offer.pk}/guesses"
    for i, member in enumerate(crowd_members):
        amounts = rng.sample(range(1, 200), 3)
        bodies = [{"amount": f"{Decimal(a) / 100:.2f}"} for a in amounts]
        if i in TWO_SESSIONS:
            bodies[1] = dict(bodies[0])
        if i in OUT_OF_RANGE:
            bodies[2] = {"amount": "10.00"}
        for n, body in enumerate(bodies):
            token = tokens[member.pk][1] if i in TWO_SESSIONS and n == 1 else tokens[member.pk][0]
            calls.append(Call("POST", path, token, body, tag=member.pk))
    rng.shuffle(calls)
    return calls


def test_200_members_guess_at_once_and_the_game_closes_once(live):
    offer = factories.offer("lowest_unique", terms=TERMS)
    crowd_members = members(MEMBERS, "guesser")
    tokens = defaultdict(list)
    given = {}
    for i, member in enumerate(crowd_members):
        tokens[member.pk].append(session_token(member))
        if i in TWO_SESSIONS:
            tokens[member.pk].append(session_token(member))
        given[member.pk] = ENTRY if i in POOR else 5 * ENTRY
        points.adjust(member=member, amount=given[member.pk], reason="crowd test", actor=None)

    answers = crowd(live.base, plan(offer, crowd_members, tokens, random.Random(13)))

    assert [a.error for a in answers if a.error] == [], "transport failures"
    odd = [(a.status, a.body) for a in answers if a.status not in (201, 400, 409)]
    assert odd == [], f"answers other than 201/400/409: {odd[:5]}"
    codes = Counter((a.status, a.code) for a in answers if a.status != 201)
    assert set(codes) <= {(400, "invalid_guess"), (409, "guess_limit"), (409, "not_enough_points")}, codes
    assert codes[(400, "invalid_guess")] >= len(OUT_OF_RANGE)
    assert codes[(409, "not_enough_points")] >= 1 and codes[(409, "guess_limit")] >= 1
    won = [a for a in answers if a.status == 201]

    made = list(Guess.objects.filter(offer=offer).values_list("id", "member_id", "amount", "spend_id"))
    assert sorted(a.body["id"] for a in won) == sorted(g[0] for g in made)
    per_member = Counter(g[1] for g in made)
    tallies = dict(ClaimTally.objects.filter(offer=offer).values_list("buyer_id", "taken"))
    assert max(per_member.values()) <= LIMIT, "a member went over the guess limit"
    assert {m: n for m, n in tallies.items() if n} == dict(per_member)
    assert len({(g[1], g[2]) for g in made}) == len(made), "a member guessed one amount twice"
    spends = dict(PointsEntry.objects.filter(offer_id=offer.pk, source="guess").values_list("id", "amount"))
    assert sorted(spends) == sorted(g[3] for g in made) and set(spends.values()) == {-ENTRY}
    for i, member in enumerate(crowd_members):
        kept = points.balance_of(member)["balance"]
        assert kept == points.recomputed(member)["balance"] == given[member.pk] - ENTRY * per_member[member.pk], i
        assert kept >= 0
        if i in POOR:
            assert per_member[member.pk] == 1
        elif i not in OUT_OF_RANGE:
            assert per_member[member.pk] == LIMIT  # three tries, two allowed, points for five

    # Before the close nobody reads the table; then two closes race and one wins.
    assert one(live.base, Call("GET", f"/api/v1/offers/{offer.pk}/guesses")).code == "not_closed"
    Offer.objects.filter(pk=offer.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    results, start = [], threading.Barrier(2)

    def close():
        try:
            start.wait()
            results.append(lifecycle.close_offer(offer_id=offer.pk))
        finally:
            connections.close_all()

    closers = [threading.Thread(target=close) for _ in range(2)]
    for closer in closers:
        closer.start()
    for closer in closers:
        closer.join(timeout=60)
    assert sorted(results) == [False, True]
    offer = fresh(offer)
    assert offer.status == Offer.Status.SUCCEEDED
    assert Order.objects.filter(offer=offer).count() == 1 == Claim.objects.filter(offer=offer).count()

    table = one(live.base, Call("GET", f"/api/v1/offers/{offer.pk}/guesses")).body
    assert sum(row["count"] for row in table["amounts"]) == len(made)
    recomputed = guesses.winning_amount([(Decimal(r["amount"]), r["count"]) for r in table["amounts"]])
    assert f"{recomputed:.2f}" == table["winner"]["amount"] == f"{offer.result_unit_price:.2f}"
    rows = Guess.objects.filter(offer=offer).values_list("amount", "created_at", "id", "member_id")
    order = Order.objects.get(offer=offer)
    assert guesses.winner_of(rows)[3] == order.buyer_id == table["winner"]["member_id"]
    assert order.unit_price == offer.result_unit_price
