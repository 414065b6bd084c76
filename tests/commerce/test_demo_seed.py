"""The demo data of `make run` (seed_demo, then seed_commerce_demo): live deals, and bob's
completed, rated and answered order and his open dispute with the greengrocer, followable
from bob's, the greengrocer's and the moderators' side; running it again adds nothing."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from community_commerce.models import Dispute, Merchant, Offer, Order, Rating
from forum.models import Thread

pytestmark = pytest.mark.django_db


def words(html):
    return " ".join(strip_tags(html).split())


def test_the_demo_has_a_rated_order_and_an_open_dispute_once(django_capture_on_commit_callbacks, settings):
    settings.COMMUNITY_COMMERCE_NEW_MERCHANT_ORDERS = 5  # the demo runs with the defaults
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
        call_command("seed_commerce_demo", stdout=io.StringIO())
    once = (Offer.objects.count(), Order.objects.count(), Rating.objects.count(), Dispute.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_commerce_demo", stdout=io.StringIO())
    assert (Offer.objects.count(), Order.objects.count(), Rating.objects.count(), Dispute.objects.count()) == once

    grocer = Merchant.objects.get(user__username="greengrocer")
    (rating,) = Rating.objects.filter(merchant=grocer)
    assert (rating.buyer.username, rating.stars, rating.is_published, rating.order.status) == (
        "bob",
        5,
        True,
        "completed",
    )
    (dispute,) = Dispute.objects.filter(order__merchant=grocer)
    assert (dispute.status, dispute.order.buyer.username, dispute.order.status) == ("open", "bob", "disputed")
    assert dispute.messages.count() == 1

    honey = Thread.objects.get(title="Wildflower honey from the allotments")
    card = words(Client().get(honey.get_absolute_url()).content.decode())
    assert "Corner Greengrocer" in card and "★ 5.00 of 5 (1 rating)" in card
    assert "4 completed orders" in card  # bob's, and three of the past sale (demo_history.py)

    dispute_url = reverse("community_commerce:dispute", args=[dispute.pk])
    for username in ("bob", "greengrocer", "mod", "admin"):
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        page = client.get(dispute_url)
        assert page.status_code == 200, username
        assert "no jar has arrived yet" in page.content.decode()
    mod = Client()
    mod.force_login(get_user_model().objects.get(username="mod"))
    shop_page = mod.get(reverse("community_commerce:merchant", args=[grocer.pk])).content.decode()
    assert "Lovely honey" in shop_page and reverse("community_commerce:rating_hide", args=[rating.pk]) in shop_page


def test_the_demo_s_games_a_newcomer_completes_the_team_and_wins_the_guess(django_capture_on_commit_callbacks):
    """The issue's "Done when": a team that needs one more member, a guessing game with a few
    guesses and points on bob's account; a newcomer joins the team and sees it complete,
    guesses, and reads the winner and the table after the close."""
    from datetime import timedelta

    from community_commerce.models import PointsEntry, Team
    from community_commerce.services import lifecycle

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
        call_command("seed_commerce_demo", stdout=io.StringIO())
    (team,) = Team.objects.filter(offer__kind="team_buy", status="open")
    assert (team.leader.username, team.members, team.size, team.needed) == ("alice", 2, 3, 1)
    game = Offer.objects.get(kind="lowest_unique", closed_at__isnull=True)
    assert game.guesses.count() == 4
    assert PointsEntry.objects.filter(member__username="bob", source="order").exists()

    newcomer = get_user_model().objects.create_user("newcomer", "newcomer@example.com", "pass-for-newcomer-1")
    client = Client()
    client.force_login(newcomer)
    team_page = reverse("community_commerce:team", args=[team.pk])
    assert "1 more" in words(client.get(team_page).content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("community_commerce:join_team", args=[team.pk]), {"quantity": "1"})
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.status == "complete"
    assert Order.objects.filter(claim__team=team).count() == 3

    response = client.post(reverse("community_commerce:guess", args=[game.pk]), {"amount": "0.10"})
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=game.pk, now=game.ends_at + timedelta(seconds=1))
    table = words(Client().get(reverse("community_commerce:guess_table", args=[game.pk])).content.decode())
    assert "newcomer" in table and "0.10" in table and "0.50" in table
    assert Order.objects.get(offer=game).buyer == newcomer
