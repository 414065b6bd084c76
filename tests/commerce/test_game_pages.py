"""The games on the page: the composer and its preview for a team buy and a guessing game,
their cards in a thread (open teams with their join forms, the guess form, the rules, the
count of guesses and nothing more before the close), their thread-list badges, and the
thread page's query budget with games on it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community_commerce.models import Claim, Guess, Offer, Team
from community_commerce.services import merchants, post_offer
from tests import factories as f
from tests.commerce.test_composer import _local, badges, preview
from tests.commerce.test_pages import card, text, thread_page

pytestmark = pytest.mark.django_db

TEAM_TERMS = {"unit_price": "29.90", "solo_price": "39.90", "team_size": 3, "team_hours": 24}
GUESS_TERMS = {"min_guess": "0.01", "max_guess": "99.99", "entry_points": 10, "guesses_per_member": 2}


@pytest.fixture
def shop(db):
    merchant = merchants.apply(user=f.user("seller"), display_name="Corner Shop", contact="1 Market Street")
    merchants.verify(merchant=merchant, actor=f.staff("staffer"), reason="known shop")
    return merchant


@pytest.fixture
def deals(shop):
    return f.commerce_thread(shop, category_=f.category("Deals", commerce_enabled=True), title="Corner shop deals")


def post(shop, thread, kind, terms, *, stock, lasts=timedelta(days=1)):
    now = timezone.now()
    return post_offer.create_offer(
        user=shop.user, thread_id=thread.pk, kind=kind, title=f"Test {kind}", description="", currency="EUR",
        starts_at=now - timedelta(minutes=1), ends_at=now + lasts, stock=stock, per_user_limit=None, terms=terms,
    )  # fmt: skip


def seat(team, member):
    """A member's seat in a team: the claim and the count, as a join leaves them."""
    Claim.objects.create(
        offer=team.offer, buyer=member, quantity=1, unit_price=team.offer.terms["unit_price"], team=team
    )
    Team.objects.filter(pk=team.pk).update(members=team.members + 1)
    team.members += 1
    return team


def open_team(offer, leader, *, members=()):
    team = Team.objects.create(
        offer=offer, leader=leader, size=offer.terms["team_size"], expires_at=timezone.now() + timedelta(hours=20)
    )
    for member in (leader, *members):
        seat(team, member)
    Offer.objects.filter(pk=offer.pk).update(sold=team.members)
    return team


def guess(offer, member, amount):
    return Guess.objects.create(offer=offer, member=member, amount=amount)


def logged_in(member):
    client = Client()
    client.force_login(member)
    return client


# --- the composer's preview ------------------------------------------------------------------------


def offer_fields(kind, **terms):
    """The composer's offer fields of a game as a merchant fills them in (prefix "offer-")."""
    now = timezone.now()
    data = {
        "attach": "on", "kind": kind, "title": "Typed offer title", "description": "", "currency": "EUR",
        "starts_at": _local(now - timedelta(minutes=1)), "ends_at": _local(now + timedelta(days=1)),
        "per_user_limit": "", **terms,
    }  # fmt: skip
    return {f"offer-{name}": value for name, value in data.items()}


def test_the_preview_of_a_team_buy_shows_both_prices_the_team_and_the_full_teams_stock_allows(client_logged):
    fields = offer_fields("team_buy", stock="10")
    fields.update(
        {"offer-unit_price": "29.90", "offer-solo_price": "39.90", "offer-team_size": "3", "offer-team_hours": "24"}
    )
    html = text(preview(client_logged, fields))
    assert "Team price €29.90 per unit" in html
    assert "Bought alone €39.90 (a team saves €10.00 a unit)" in html
    assert "3 members within 24 h" in html
    assert "10: at least 3 full teams" in html


def test_the_preview_of_a_guessing_game_shows_its_range_cost_and_how_the_winner_is_chosen(client_logged):
    fields = offer_fields(
        "lowest_unique", stock="1", min_guess="0.01", max_guess="50", entry_points="0", guesses_per_member="3",
        prize_value="45",
    )  # fmt: skip
    html = text(preview(client_logged, fields))
    assert "Prize value €45.00" in html
    assert "Guesses from €0.01 to €50.00" in html
    assert "Each guess costs nothing: a free game" in html
    assert "the lowest amount that exactly one member guessed wins" in html


def test_the_preview_names_the_team_buy_s_missing_solo_price(client_logged):
    fields = offer_fields("team_buy", stock="10", unit_price="29.90", team_size="3")
    assert "Fill in Solo price to see the preview." in text(preview(client_logged, fields))


@pytest.fixture
def client_logged(db):
    return logged_in(f.user("typist"))


# --- the cards ---------------------------------------------------------------------------------------


def test_a_team_buy_card_lists_open_teams_with_a_join_form_for_others_and_an_open_form(shop, deals):
    offer = post(shop, deals, "team_buy", TEAM_TERMS, stock=12)
    alice, bob, carol = f.user("alice"), f.user("bob"), f.user("carol")
    team = open_team(offer, alice, members=[bob])
    html = card(thread_page(logged_in(carol), deals), offer)
    words = text(html)
    assert "Team price €29.90 per unit alone: €39.90" in words
    assert "1 open team" in words and "alice’s team 2/3: 1 more needed" in words
    assert reverse("community_commerce:join_team", args=[team.pk]) in html
    assert reverse("community_commerce:open_team", args=[offer.pk]) in html
    assert reverse("community_commerce:team", args=[team.pk]) in html
    # a member of the team is not offered to join it again, and sees their team
    mine = card(thread_page(logged_in(bob), deals), offer)
    assert reverse("community_commerce:join_team", args=[team.pk]) not in mine
    assert "Your team" in text(mine)


def test_a_team_that_expired_or_filled_is_not_listed(shop, deals):
    offer = post(shop, deals, "team_buy", TEAM_TERMS, stock=12)
    old = open_team(offer, f.user("alice"))
    Team.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    full = open_team(offer, f.user("bob"), members=[f.user("dan"), f.user("eve")])
    Team.objects.filter(pk=full.pk).update(status=Team.Status.COMPLETE)
    words = text(card(thread_page(Client(), deals), offer))
    assert "No team is open yet: open one and share it." in words
    assert "team 1/3" not in words


def test_a_guessing_game_s_card_shows_rules_count_and_the_reader_s_own_guesses_only(shop, deals):
    offer = post(shop, deals, "lowest_unique", GUESS_TERMS, stock=1)
    alice, bob = f.user("alice"), f.user("bob")
    guess(offer, alice, "0.37")
    guess(offer, alice, "12.34")
    guess(offer, bob, "5.55")
    html = card(thread_page(logged_in(bob), deals), offer)
    words = text(html)
    assert "Guessed so far 3 guesses" in words
    assert "How the winner is chosen" in words
    assert "Your guesses €5.55" in words
    assert "0.37" not in html and "12.34" not in html  # nobody sees another's guess before the close
    assert reverse("community_commerce:guess", args=[offer.pk]) in html
    # alice has used her two guesses: no form for her, a hint instead
    hers = text(card(thread_page(logged_in(alice), deals), offer))
    assert "You made all your 2 guesses." in hers
    # the merchant sees the count and nothing more
    merchant = card(thread_page(logged_in(shop.user), deals), offer)
    assert "0.37" not in merchant and "5.55" not in merchant and "Guessed so far 3 guesses" in text(merchant)


def test_a_closed_game_names_the_winning_amount_and_links_the_public_table(shop, deals):
    offer = post(shop, deals, "lowest_unique", GUESS_TERMS, stock=1)
    Offer.objects.filter(pk=offer.pk).update(
        status=Offer.Status.SUCCEEDED, closed_at=timezone.now(), result_unit_price="0.42"
    )
    html = card(thread_page(Client(), deals), offer)
    assert "Won at €0.42. The winner buys the prize at that amount" in text(html)
    assert reverse("community_commerce:guess_table", args=[offer.pk]) in html


# --- thread lists and the query budget ------------------------------------------------------------


def test_thread_lists_show_the_games_badges(shop, deals):
    team_thread = f.commerce_thread(shop, category_=deals.category, title="Teams")
    game_thread = f.commerce_thread(shop, category_=deals.category, title="Game")
    teams = post(shop, team_thread, "team_buy", TEAM_TERMS, stock=12)
    game = post(shop, game_thread, "lowest_unique", GUESS_TERMS, stock=1)
    for name in ("a", "b", "c"):
        open_team(teams, f.user(f"leader-{name}"))
    for n in range(42):
        guess(game, f.user(f"guesser{n}"), f"{n + 1}.00")
    html = Client().get(deals.category.get_absolute_url()).content.decode()
    assert badges(html, team_thread) == ["Team buy · 3 teams open"]
    assert badges(html, game_thread) == ["Guess · 42 guesses"]


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["anonymous", "member", "merchant"])
def test_games_on_a_thread_cost_no_query_over_a_thread_without_offers(shop, deals, who):
    viewer = {"member": f.user("viewer"), "merchant": shop.user}.get(who)
    client = logged_in(viewer) if viewer else Client()
    bare = f.commerce_thread(shop, category_=deals.category, title="Nothing for sale here")
    client.get(bare.get_absolute_url())  # warm up: session, caches
    without = _queries(client, bare.get_absolute_url())
    teams = post(shop, deals, "team_buy", TEAM_TERMS, stock=12)
    game = post(shop, deals, "lowest_unique", GUESS_TERMS, stock=1)
    member = viewer if who == "member" else f.user("someone")
    open_team(teams, member, members=[f.user("friend")])
    open_team(teams, f.user("other"))
    guess(game, member, "1.23")
    client.get(deals.get_absolute_url())
    assert _queries(client, deals.get_absolute_url()) == without
    if who == "member":
        page = text(thread_page(client, deals))
        assert "Your guesses €1.23" in page and "Your team" in page


# --- the composer posts both games --------------------------------------------------------------

GAME_FIELDS = {
    "team_buy": (
        {"stock": "12", "unit_price": "29.90", "solo_price": "39.90", "team_size": "3", "team_hours": "12"},
        {"unit_price": "29.90", "solo_price": "39.90", "team_size": 3, "team_hours": 12},
    ),
    "lowest_unique": (
        {"stock": "", "min_guess": "0.01", "max_guess": "40", "entry_points": "0", "guesses_per_member": "3"},
        {"min_guess": "0.01", "max_guess": "40.00", "entry_points": 0, "guesses_per_member": 3},
    ),
}


@pytest.mark.parametrize("kind", list(GAME_FIELDS))
def test_a_merchant_starts_a_thread_with_a_game_in_one_post(shop, kind, flood_off):
    from forum.models import Thread

    category = f.category("Deals", slug="deals", commerce_enabled=True)
    typed, stored = GAME_FIELDS[kind]
    data = {"title": "Typed thread title", "body": "Typed first post.", **offer_fields(kind, **typed)}
    response = logged_in(shop.user).post(reverse("forum:new_thread", args=[category.slug]), data)
    thread = Thread.objects.get(title="Typed thread title")
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
    offer = Offer.objects.get(thread_id=thread.pk)
    assert (offer.kind, offer.terms, offer.stock) == (kind, stored, 12 if kind == "team_buy" else 1)


def test_a_team_buy_with_less_stock_than_a_team_is_refused_next_to_its_field(shop, flood_off):
    category = f.category("Deals", slug="deals", commerce_enabled=True)
    typed = {**GAME_FIELDS["team_buy"][0], "stock": "2"}
    data = {"title": "Typed thread title", "body": "Typed first post.", **offer_fields("team_buy", **typed)}
    response = logged_in(shop.user).post(reverse("forum:new_thread", args=[category.slug]), data)
    assert response.status_code == 400  # the form comes back with its errors, nothing typed lost
    assert "A team buy needs at least one team&#x27;s worth of units." in response.content.decode()
    assert not Offer.objects.exists()
