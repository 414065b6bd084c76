"""The lowest-unique-price game (services/guesses.py): the winner rule as a table, guessing
(points spent in the same transaction, the guess limit, every refusal with its code and
nothing changed), the close (exactly once, by the close itself and by the sweeper), the
public table anyone can recompute the winner from, the cancellation, the prize cap."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from community_commerce.conf import conf
from community_commerce.errors import CommerceError
from community_commerce.models import Claim, ClaimTally, Guess, Offer, Order, PointsBalance, PointsEntry
from community_commerce.services import claim, guesses, lifecycle, points, post_offer, schedule
from community_commerce.services.guesses import winner_of, winning_amount
from tests import factories
from tests.commerce.conftest import notes, thread_events
from tests.offer_terms import OFFER_TERMS

pytestmark = pytest.mark.django_db
D = Decimal
T0 = datetime(2026, 1, 1, 12, 0, 0)


def at(seconds):
    return T0 + timedelta(seconds=seconds)


# --- the winner rule ---------------------------------------------------------------------------
# rows: (amount, guessed_at, guess id, member id); the expected winning row's guess id.
WINNER_TABLE = [
    pytest.param([], None, id="no-guess"),
    pytest.param([(D("3.00"), at(0), 1, 10)], 1, id="a-single-guess"),
    pytest.param(
        [(D("1.00"), at(0), 1, 10), (D("1.00"), at(1), 2, 11), (D("2.00"), at(2), 3, 12), (D("3.00"), at(3), 4, 13)],
        3,
        id="unique-lowest-wins-over-a-lower-shared-amount",
    ),
    pytest.param(
        [(D("5.00"), at(0), 1, 10), (D("4.00"), at(1), 2, 11), (D("0.50"), at(2), 3, 12), (D("0.50"), at(3), 4, 13)],
        2,
        id="the-lowest-of-several-unique-amounts",
    ),
    pytest.param(
        [
            (D("1.00"), at(0), 1, 10),
            (D("1.00"), at(1), 2, 11),
            (D("1.00"), at(2), 3, 12),
            (D("2.00"), at(5), 4, 13),
            (D("2.00"), at(3), 5, 14),
            (D("3.00"), at(0), 6, 15),
            (D("3.00"), at(0), 7, 16),
        ],
        5,
        id="no-unique-amount-the-lowest-with-the-fewest-its-earliest-guess",
    ),
    pytest.param(
        [(D("2.00"), at(4), 9, 10), (D("2.00"), at(4), 8, 11), (D("7.00"), at(0), 1, 12), (D("7.00"), at(0), 2, 13)],
        8,
        id="ties-by-time-then-by-id",
    ),
    pytest.param(
        [(D("1.00"), at(0), 1, 10), (D("1.00"), at(1), 2, 10), (D("2.00"), at(2), 3, 11), (D("2.00"), at(3), 4, 12)],
        1,
        id="one-member-twice-is-still-one-member",
    ),
]


@pytest.mark.parametrize(("rows", "winner_id"), WINNER_TABLE)
def test_the_winner_rule(rows, winner_id):
    won = winner_of(rows)
    assert (won[2] if won else None) == winner_id
    assert winner_of(list(reversed(rows))) == won  # the order rows come in does not matter


def test_winning_amount_from_a_public_table():
    assert winning_amount([(D("1.00"), 2), (D("2.00"), 1), (D("3.00"), 1)]) == D("2.00")
    assert winning_amount([(D("1.00"), 3), (D("2.00"), 2), (D("3.00"), 2)]) == D("2.00")
    assert winning_amount([]) is None


# --- guessing ----------------------------------------------------------------------------------


TERMS = {**OFFER_TERMS["lowest_unique"], "entry_points": 10, "guesses_per_member": 3}


def game(**extra):
    return factories.offer("lowest_unique", terms=extra.pop("terms", TERMS), **extra)


def member_with(points_, name=None):
    member = factories.user(name) if name else factories.user()
    if points_:
        points.adjust(member=member, amount=points_, reason="test points", actor=None)
    return member


def balance(member):
    return points.balance_of(member)["balance"]


def world():
    """Everything a refused guess must leave as it was."""
    return (
        list(Guess.objects.order_by("id").values_list("id", "member_id", "amount", "spend_id")),
        list(PointsEntry.objects.order_by("id").values_list("id", "amount", "state")),
        list(PointsBalance.objects.order_by("member_id").values_list("member_id", "available", "pending")),
        list(ClaimTally.objects.order_by("id").values_list("offer_id", "buyer_id", "taken")),
        Claim.objects.count(),
        Order.objects.count(),
        list(Offer.objects.order_by("id").values_list("id", "status", "sold", "closed_at")),
    )


def refused(code, **call):
    before = world()
    with pytest.raises(CommerceError) as caught:
        guesses.place_guess(**call)
    assert caught.value.code == code, caught.value.message
    assert world() == before
    return caught.value


def test_a_guess_spends_its_points_in_the_same_transaction():
    offer = game()
    member = member_with(25)
    guess = guesses.place_guess(offer_id=offer.pk, member=member, amount="1.50")
    assert guess.amount == D("1.50") and guess.spend.amount == -10 and guess.spend.source == "guess"
    assert balance(member) == 15 == points.recomputed(member)["balance"]
    assert ClaimTally.objects.get(offer=offer, buyer=member).taken == 1
    guesses.place_guess(offer_id=offer.pk, member=member, amount="2")
    assert balance(member) == 5
    # Not enough points for a third: nothing changes (no guess, no tally, no spend).
    refused("not_enough_points", offer_id=offer.pk, member=member, amount="3.00")
    assert guesses.guesses_of(offer_ids=[offer.pk], member=member)[offer.pk] == list(
        Guess.objects.filter(member=member).order_by("id")
    )
    assert guesses.guess_counts([offer.pk]) == {offer.pk: 2}


def test_a_game_is_not_claimed_directly_but_by_guessing(client):
    """POST .../claims on a guessing game (the fuzzer found a 500 here): 409 with its code, nothing changes."""
    offer = game()
    member = member_with(25)
    before = world()
    with pytest.raises(CommerceError) as caught:
        claim.claim(offer_id=offer.pk, buyer=member, quantity=1)
    assert caught.value.code == "not_claimable" and caught.value.status == 409
    client.force_login(member)
    answer = client.post(f"/api/v1/offers/{offer.pk}/claims", {"quantity": 1}, content_type="application/json")
    assert answer.status_code == 409 and answer.json()["code"] == "not_claimable"
    assert world() == before and balance(member) == 25


def test_bad_guesses_get_their_code_and_change_nothing(clock):
    offer = game()
    member = member_with(100)
    guesses.place_guess(offer_id=offer.pk, member=member, amount="1.00")
    for amount in ("0.001", "1.005", "abc", "", "-1", "0", "100.00", "99.991", "1e2"):
        error = refused("invalid_guess", offer_id=offer.pk, member=member, amount=amount)
        assert list(error.fields) == ["amount"], amount
    assert refused("invalid_guess", offer_id=offer.pk, member=member, amount="1.0").fields["amount"]  # guessed it
    refused("own_offer", offer_id=offer.pk, member=offer.merchant.user, amount="2.00")
    refused("not_found", offer_id=offer.pk + 999, member=member, amount="2.00")
    flash = factories.offer("flash_sale")
    refused("not_a_game", offer_id=flash.pk, member=member, amount="2.00")
    guesses.place_guess(offer_id=offer.pk, member=member, amount="2.00")
    guesses.place_guess(offer_id=offer.pk, member=member, amount="3.00")
    refused("guess_limit", offer_id=offer.pk, member=member, amount="4.00")
    assert balance(member) == 70 == points.recomputed(member)["balance"]
    later = game(starts_at=clock.now + timedelta(hours=1))
    refused("not_started", offer_id=later.pk, member=member, amount="2.00")
    clock.set(offer.ends_at)
    refused("closed", offer_id=offer.pk, member=member, amount="5.00")


def test_a_game_whose_start_has_come_opens_with_its_first_guess(clock):
    offer = game(starts_at=clock.now + timedelta(minutes=1))
    assert offer.status == Offer.Status.SCHEDULED
    clock.advance(minutes=2)
    guesses.place_guess(offer_id=offer.pk, member=member_with(10), amount="1.00")
    offer.refresh_from_db()
    assert offer.status == Offer.Status.LIVE


def test_a_free_game_spends_nothing():
    offer = game(terms={**TERMS, "entry_points": 0})
    member = member_with(0)
    guess = guesses.place_guess(offer_id=offer.pk, member=member, amount="1.00")
    assert guess.spend is None and not PointsEntry.objects.filter(member=member).exists()


def test_a_game_on_a_currency_without_decimals_takes_whole_amounts():
    offer = game(
        currency="JPY", terms={"min_guess": "1", "max_guess": "5000", "entry_points": 0, "guesses_per_member": 2}
    )
    member = member_with(0)
    refused("invalid_guess", offer_id=offer.pk, member=member, amount="10.5")
    assert guesses.place_guess(offer_id=offer.pk, member=member, amount="10").amount == D("10")


def test_a_game_whose_prize_is_over_the_cap_is_refused_at_posting():
    merchant = factories.merchant()
    thread = factories.commerce_thread(merchant)
    from django.utils import timezone

    now = timezone.now()
    over = conf.GUESS_MAX_PRIZE + 1
    body = {
        "kind": "lowest_unique", "title": "A big prize", "description": "Guess.", "currency": "EUR",
        "starts_at": now - timedelta(minutes=1), "ends_at": now + timedelta(days=1), "stock": 1, "per_user_limit": None,
    }  # fmt: skip
    for terms, field in (
        ({**TERMS, "prize_value": f"{over}.00"}, "terms.prize_value"),
        ({**TERMS, "max_guess": f"{over}.00"}, "terms.max_guess"),
    ):
        with pytest.raises(CommerceError) as caught:
            post_offer.create_offer(user=merchant.user, thread_id=thread.pk, **body, terms=terms)
        assert any(field in name or name == "terms" for name in caught.value.fields), caught.value.fields
    assert not Offer.objects.filter(title="A big prize").exists()
    at_cap = post_offer.create_offer(
        user=merchant.user, thread_id=thread.pk, **body, terms={**TERMS, "prize_value": f"{conf.GUESS_MAX_PRIZE}"}
    )
    assert at_cap.stock == 1


# --- the close -----------------------------------------------------------------------------------


def play(offer, guesses_by_member, clock):
    """Each (member, amount) guesses in turn, a second apart."""
    made = []
    for member, amount in guesses_by_member:
        made.append(guesses.place_guess(offer_id=offer.pk, member=member, amount=amount))
        clock.advance(seconds=1)
    return made


def test_the_close_gives_the_winner_an_order_at_their_amount_once(clock, django_capture_on_commit_callbacks):
    offer = game()
    alice, bob, carol = (member_with(30, name) for name in ("alice", "bob", "carol"))
    play(
        offer, [(alice, "0.50"), (bob, "0.50"), (alice, "1.20"), (carol, "2.00"), (bob, "1.20"), (carol, "3.00")], clock
    )
    with pytest.raises(CommerceError) as caught:
        guesses.result(Offer.objects.get(pk=offer.pk))
    assert caught.value.code == "not_closed"
    clock.set(offer.ends_at)
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=offer.pk, now=clock.now) is True
        assert lifecycle.close_offer(offer_id=offer.pk, now=clock.now) is False  # closed once
    offer.refresh_from_db()
    assert offer.status == Offer.Status.SUCCEEDED and offer.result_unit_price == D("2.00") and offer.sold == 1
    order = Order.objects.get(offer=offer)
    assert (order.buyer, order.unit_price, order.total, order.quantity) == (carol, D("2.00"), D("2.00"), 1)
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.payment_due_at == clock.now + timedelta(days=guesses.PAYMENT_DAYS)
    assert order.events.count() == 1
    claim = order.claim
    assert (claim.buyer, claim.status, claim.quantity, claim.unit_price) == (carol, "ordered", 1, D("2.00"))
    events = [e for e in thread_events(offer.thread_id) if e.startswith("Guessing game closed")]
    assert len(events) == 1 and "2.00 EUR" in events[0] and "carol" in events[0], events
    assert not [e for e in thread_events(offer.thread_id) if "ended" in e]  # no default event besides
    assert [n.url for n in notes(carol, "offer_succeeded")] == [reverse("community_commerce:order", args=[order.pk])]
    for loser in (alice, bob):
        assert [n.url for n in notes(loser, "offer_closed")] == [guesses.table_url(offer)]
    assert notes(carol, "offer_closed") == []

    # The public table: anyone recomputes the winner from it.
    table = guesses.result(offer)
    assert table["amounts"] == [
        {"amount": "0.50", "count": 2}, {"amount": "1.20", "count": 2},
        {"amount": "2.00", "count": 1}, {"amount": "3.00", "count": 1},
    ]  # fmt: skip
    recomputed = winning_amount([(D(row["amount"]), row["count"]) for row in table["amounts"]])
    assert f"{recomputed:.2f}" == table["winner"]["amount"] == "2.00"
    assert table["winner"]["member"] == "carol" and table["winner"]["member_id"] == carol.pk
    rows = Guess.objects.filter(offer=offer).values_list("amount", "created_at", "id", "member_id")
    assert winner_of(rows)[3] == carol.pk


def test_no_unique_amount_the_earliest_of_the_lowest_with_the_fewest_wins(clock, django_capture_on_commit_callbacks):
    offer = game()
    a, b, c, d = (member_with(30) for _ in range(4))
    play(offer, [(a, "1.00"), (b, "1.00"), (c, "2.00"), (d, "2.00"), (a, "3.00"), (b, "3.00"), (c, "3.00")], clock)
    clock.set(offer.ends_at)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.close_offer(offer_id=offer.pk, now=clock.now)
    order = Order.objects.get(offer=offer)
    assert (order.buyer_id, order.unit_price) == (a.pk, D("1.00"))
    events = [e for e in thread_events(offer.thread_id) if e.startswith("Guessing game closed")]
    assert len(events) == 1 and "1.00 EUR" in events[0] and "no amount" in events[0]


def test_a_game_without_guesses_fails_and_says_so(clock, django_capture_on_commit_callbacks):
    offer = game()
    clock.set(offer.ends_at)
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=offer.pk, now=clock.now)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.FAILED and offer.result_unit_price is None
    assert not Order.objects.filter(offer=offer).exists()
    assert len([e for e in thread_events(offer.thread_id) if e.startswith("Guessing game closed without")]) == 1
    assert guesses.result(offer) == {"winner": None, "amounts": []}


def test_the_sweeper_closes_a_game_once(clock, django_capture_on_commit_callbacks):
    offer = game()
    member = member_with(10)
    play(offer, [(member, "4.00")], clock)
    clock.set(offer.ends_at + timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        schedule.sweep(now=clock.now)
        schedule.sweep(now=clock.now)
    assert lifecycle.close_offer(offer_id=offer.pk, now=clock.now) is False
    offer.refresh_from_db()
    assert offer.status == Offer.Status.SUCCEEDED and offer.result_unit_price == D("4.00")
    assert Order.objects.filter(offer=offer).count() == 1 == Claim.objects.filter(offer=offer).count()
    assert len([e for e in thread_events(offer.thread_id) if e.startswith("Guessing game closed")]) == 1


def test_a_cancelled_game_gives_every_spend_back_once(clock, django_capture_on_commit_callbacks):
    offer = game()
    alice, bob = member_with(30), member_with(30)
    play(offer, [(alice, "1.00"), (alice, "2.00"), (bob, "1.00")], clock)
    assert (balance(alice), balance(bob)) == (10, 20)
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.cancel_offer(offer_id=offer.pk, actor=offer.merchant.user, reason="Prize lost")
    assert not lifecycle.cancel_offer(offer_id=offer.pk, actor=offer.merchant.user, reason="Again")
    with django_capture_on_commit_callbacks(execute=False):
        guesses.cancel_game(offer=offer, now=clock.now)  # run again: nothing given back twice
    for member in (alice, bob):
        assert balance(member) == 30 == points.recomputed(member)["balance"]
        assert [n.kind for n in notes(member, "offer_cancelled")] == ["offer_cancelled"]
    assert PointsEntry.objects.filter(source="refund", offer_id=offer.pk).count() == 3
    with pytest.raises(CommerceError) as caught:
        guesses.result(Offer.objects.get(pk=offer.pk))
    assert caught.value.code == "cancelled"
    member = member_with(10)
    refused("closed", offer_id=offer.pk, member=member, amount="3.00")


# --- the pages ---------------------------------------------------------------------------------


def test_the_guess_form_and_the_public_table(client, clock):
    offer = game()
    alice, bob = member_with(30, "alice"), member_with(30, "bob")
    client.force_login(alice)
    url = reverse("community_commerce:guess", args=[offer.pk])
    response = client.post(url, {"amount": "1.50"})
    assert response.status_code == 302 and response["Location"] == offer.get_absolute_url()
    assert ["Your guess of 1.50 EUR is in" in str(m) for m in get_messages(response.wsgi_request)] == [True]
    before = world()
    response = client.post(url, {"amount": "500"})
    assert response.status_code == 302 and response["Location"] == offer.get_absolute_url()
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == "Guess from 0.01 to 99.99 EUR."
    assert world() == before
    assert client.get(url).status_code == 405

    table = reverse("community_commerce:guess_table", args=[offer.pk])
    for who in (alice, offer.merchant.user, factories.user("staffer", is_staff=True)):
        client.force_login(who)
        response = client.get(table)
        page = response.content.decode()
        assert response.status_code == 409 and "guess-not-closed" in page and "guess-table" not in page
    client.force_login(bob)
    client.post(url, {"amount": "0.80"})
    clock.set(offer.ends_at)
    lifecycle.close_offer(offer_id=offer.pk, now=clock.now)
    client.logout()
    response = client.get(table)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="guess-won"' in page and "0.80" in page and "1.50" in page and "bob" in page
    assert page.index("0.80") < page.index("1.50")
