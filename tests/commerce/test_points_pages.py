"""Where members see their points: the Points page (balance, pending, the history with its
reasons, newest first, paged, in the reader's language), the own profile's panel (nobody
else's), ``GET /api/v1/me/points``; and the admin, where staff read every entry and record
an adjustment only with a reason."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community_commerce.models import Guess, PointsEntry
from community_commerce.services import guesses, lifecycle, points
from tests import factories
from tests.commerce.test_pages import text

pytestmark = pytest.mark.django_db


def client_of(member):
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def member():
    member = factories.user("pat")
    points.adjust(member=member, amount=80, reason="Welcome to the forum", actor=None)
    points.spend(member=member, amount=15, reason=points.SPENT_GUESS)
    return member


def test_the_points_page_shows_balance_pending_and_history(member, django_assert_max_num_queries):
    points.earn(member_id=member.pk, amount=12, source="order", reason=points.EARNED_ORDER, now=timezone.now())
    client = client_of(member)
    with django_assert_max_num_queries(8):  # session, user, balance, one page of entries (and its count)
        page = client.get(reverse("community_commerce:my_points"))
    assert page.status_code == 200
    words = text(page.content.decode())
    assert "Available points 65" in words and "Pending points 12" in words
    assert words.index("Completed order") < words.index("A guess") < words.index("Welcome to the forum")
    assert "+12" in words and "-15" in words and "+80" in words


def test_the_points_page_speaks_the_reader_s_language(member):
    client = client_of(member)
    client.cookies["django_language"] = "zh-hans"
    words = text(client.get(reverse("community_commerce:my_points"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert "积分" in words and "Welcome to the forum" in words  # a staff member's reason as written


def test_the_points_page_pages_the_history_and_needs_a_login(member):
    for i in range(40):
        points.adjust(member=member, amount=1, reason=f"bonus {i}", actor=None)
    client = client_of(member)
    first = text(client.get(reverse("community_commerce:my_points")).content.decode())
    second = text(client.get(reverse("community_commerce:my_points") + "?page=2").content.decode())
    assert "bonus 39" in first and "bonus 39" not in second and "Welcome to the forum" in second
    assert Client().get(reverse("community_commerce:my_points")).status_code == 302


def test_the_own_profile_shows_points_and_nobody_else_s(member):
    profile = reverse("forum:profile", args=["pat"])
    own = text(client_of(member).get(profile).content.decode())
    assert "Available points 65" in own
    other = text(client_of(factories.user("sam")).get(profile).content.decode())
    assert "points" not in other.lower()


def test_the_api_answers_the_member_s_own_points(member):
    other = factories.user("sam")
    points.adjust(member=other, amount=5, reason="Not pat's", actor=None)
    body = client_of(member).get("/api/v1/me/points?per_page=1").json()
    assert (body["balance"], body["pending"], body["count"]) == (65, 0, 2)
    (entry,) = body["entries"]
    assert (entry["amount"], entry["source"], entry["state"], entry["reason"]) == (-15, "guess", "available", "A guess")
    second = client_of(member).get("/api/v1/me/points?per_page=1&page=2").json()["entries"]
    assert [e["reason"] for e in second] == ["Welcome to the forum"]
    assert Client().get("/api/v1/me/points").json()["code"] == "not_authenticated"
    assert Client().get("/api/v1/me/points").status_code == 401
    assert client_of(member).get("/api/v1/me/points?page=0").status_code == 400


def test_staff_adjust_points_in_the_admin_only_with_a_reason(member):
    staff = factories.staff("operator")
    staff.is_superuser = True
    staff.save()
    admin = client_of(staff)
    add = reverse("admin:community_commerce_pointsentry_add")
    refused = admin.post(add, {"member": member.pk, "amount": "10", "reason": " "})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    zero = admin.post(add, {"member": member.pk, "amount": "0", "reason": "why"})
    assert zero.status_code == 200 and "other than 0" in zero.content.decode()
    assert points.balance_of(member)["balance"] == 65 and PointsEntry.objects.count() == 2

    done = admin.post(add, {"member": member.pk, "amount": "-5", "reason": "Duplicate account"})
    assert done.status_code == 302
    entry = PointsEntry.objects.get(reason="Duplicate account")
    assert (entry.source, entry.amount, entry.actor_id) == ("staff", -5, staff.pk)
    assert points.balance_of(member) == points.recomputed(member) == {"balance": 60, "pending": 0}

    listing = admin.get(reverse("admin:community_commerce_pointsentry_changelist") + "?source__exact=staff")
    assert "Duplicate account" in listing.content.decode()
    # An entry is never edited: its page is read-only, and a post changes nothing.
    change = reverse("admin:community_commerce_pointsentry_change", args=[entry.pk])
    assert 'name="amount"' not in admin.get(change).content.decode()
    admin.post(change, {"member": member.pk, "amount": "500", "reason": "edited"})
    entry.refresh_from_db()
    assert entry.amount == -5
    assert admin.post(reverse("admin:community_commerce_pointsentry_delete", args=[entry.pk])).status_code == 403


def test_the_admin_lists_guesses_of_closed_games_only(merchant, merchant_thread):
    staff = factories.staff("operator")
    staff.is_superuser = True
    staff.save()
    open_game = factories.offer("lowest_unique", merchant_=merchant, thread_=merchant_thread, terms={
        "min_guess": "0.01", "max_guess": "9.99", "entry_points": 0, "guesses_per_member": 2})  # fmt: skip
    guess = guesses.place_guess(offer_id=open_game.pk, member=factories.user("g"), amount="1.11")
    admin = client_of(staff)
    listing = reverse("admin:community_commerce_guess_changelist")
    assert "1.11" not in admin.get(listing).content.decode()
    assert admin.get(reverse("admin:community_commerce_guess_change", args=[guess.pk])).status_code == 302
    lifecycle.close_offer(offer_id=open_game.pk, now=open_game.ends_at)
    assert Guess.objects.filter(offer=open_game).exists()
    assert "1.110" in admin.get(listing).content.decode() or "1.11" in admin.get(listing).content.decode()
