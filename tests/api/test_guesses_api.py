"""The guessing game in the JSON API (shared/API.md "Points and games"): a guess answers the
member's own guess only, every refusal has its stable code and changes nothing, nobody (the
merchant and staff included) reads the table before the close, anyone reads it after."""

from datetime import timedelta

import pytest
from django.utils import timezone

from community_commerce.models import ClaimTally, Guess, Offer, Order, PointsBalance, PointsEntry
from community_commerce.services import guesses, lifecycle, points
from tests import factories
from tests.api.test_commerce_api import Api, error_of
from tests.offer_terms import OFFER_TERMS

pytestmark = pytest.mark.django_db
TERMS = {**OFFER_TERMS["lowest_unique"], "entry_points": 10, "guesses_per_member": 2}


def rich(name, amount=100):
    member = factories.user(name)
    points.adjust(member=member, amount=amount, reason="test points", actor=None)
    return member


def world():
    return (
        list(Guess.objects.order_by("id").values_list("id", "amount")),
        list(PointsEntry.objects.order_by("id").values_list("id", "amount")),
        list(PointsBalance.objects.order_by("member_id").values_list("member_id", "available")),
        list(ClaimTally.objects.order_by("id").values_list("buyer_id", "taken")),
        Order.objects.count(),
    )


def refused(response, status, code):
    return error_of(response, status, code)


def test_a_guess_answers_the_members_own_guess_and_refusals_change_nothing():
    offer = factories.offer("lowest_unique", terms=TERMS)
    alice, poor = rich("alice"), rich("poor", 5)
    api = Api(alice)
    response = api.post(f"/offers/{offer.pk}/guesses", {"amount": "1.50"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "offer", "amount", "created_at"}
    assert (body["offer"], body["amount"]) == (offer.pk, "1.50")
    assert points.balance_of(alice)["balance"] == 90
    before = world()
    for amount in ("1.505", "0", "100", "abc", None):
        error = refused(api.post(f"/offers/{offer.pk}/guesses", {"amount": amount}), 400, "invalid_guess")
        assert list(error["fields"]) == ["amount"]
    refused(api.post(f"/offers/{offer.pk}/guesses", {"amount": "1.5"}), 400, "invalid_guess")  # guessed already
    refused(Api().post(f"/offers/{offer.pk}/guesses", {"amount": "2.00"}), 401, "not_authenticated")
    refused(Api(offer.merchant.user).post(f"/offers/{offer.pk}/guesses", {"amount": "2.00"}), 403, "own_offer")
    refused(api.post(f"/offers/{offer.pk + 99}/guesses", {"amount": "2.00"}), 404, "not_found")
    refused(Api(poor).post(f"/offers/{offer.pk}/guesses", {"amount": "2.00"}), 409, "not_enough_points")
    flash = factories.offer("flash_sale")
    refused(api.post(f"/offers/{flash.pk}/guesses", {"amount": "2.00"}), 409, "not_a_game")
    assert world() == before
    assert api.post(f"/offers/{offer.pk}/guesses", {"amount": 3}).status_code == 201
    before = world()
    refused(api.post(f"/offers/{offer.pk}/guesses", {"amount": "4.00"}), 409, "guess_limit")
    assert world() == before


def test_my_guesses_are_mine_only():
    game_a = factories.offer("lowest_unique", terms=TERMS)
    game_b = factories.offer("lowest_unique", terms=TERMS)
    alice, bob = rich("alice"), rich("bob")
    guesses.place_guess(offer_id=game_a.pk, member=alice, amount="1.00")
    guesses.place_guess(offer_id=game_b.pk, member=alice, amount="2.00")
    guesses.place_guess(offer_id=game_a.pk, member=bob, amount="3.00")
    body = Api(alice).get("/me/guesses").json()
    assert [(g["offer"], g["amount"]) for g in body["items"]] == [(game_b.pk, "2.00"), (game_a.pk, "1.00")]
    assert body["count"] == 2
    only_a = Api(alice).get("/me/guesses", offer=game_a.pk).json()
    assert [g["amount"] for g in only_a["items"]] == ["1.00"]
    refused(Api().get("/me/guesses"), 401, "not_authenticated")
    refused(Api(alice).get("/me/guesses", offer=0), 400, "invalid")


def test_nobody_reads_the_table_before_the_close_and_anyone_after(django_capture_on_commit_callbacks):
    offer = factories.offer("lowest_unique", terms=TERMS)
    alice, bob, carol = rich("alice"), rich("bob"), rich("carol")
    for member, amount in ((alice, "1.00"), (bob, "1.00"), (carol, "2.50"), (bob, "4.00")):
        guesses.place_guess(offer_id=offer.pk, member=member, amount=amount)
    staff = factories.user("staffer", is_staff=True)
    for caller in (Api(), Api(alice), Api(offer.merchant.user), Api(staff)):
        body = refused(caller.get(f"/offers/{offer.pk}/guesses"), 409, "not_closed")
        assert set(body) <= {"code", "message", "fields"}
    # The offer itself says nothing of the amounts before the close either.
    shown = Api(staff).get(f"/offers/{offer.pk}").content.decode()
    assert "2.50" not in shown and "4.00" not in shown
    Offer.objects.filter(pk=offer.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=offer.pk)
    response = Api().get(f"/offers/{offer.pk}/guesses")
    assert response.status_code == 200, response.content
    table = response.json()
    assert table["winner"] == {"amount": "2.50", "member": "carol", "member_id": carol.pk}
    assert table["amounts"] == [
        {"amount": "1.00", "count": 2}, {"amount": "2.50", "count": 1}, {"amount": "4.00", "count": 1},
    ]  # fmt: skip
    # Anyone recomputes the winner from the public table: the fewest members, then the lowest.
    fewest = min(row["count"] for row in table["amounts"])
    assert (
        min((row for row in table["amounts"] if row["count"] == fewest), key=lambda r: float(r["amount"]))["amount"]
        == table["winner"]["amount"]
    )
    refused(Api().get(f"/offers/{offer.pk + 99}/guesses"), 404, "not_found")
    refused(Api().get(f"/offers/{factories.offer('flash_sale').pk}/guesses"), 409, "not_a_game")


def test_every_guess_operation_documents_its_answers():
    schema = Api().get("/openapi.json").json()["paths"]
    expected = {
        ("/api/v1/offers/{offer_id}/guesses", "post"): {"201", "400", "401", "403", "404", "409", "413", "415"},
        ("/api/v1/offers/{offer_id}/guesses", "get"): {"200", "400", "404", "409"},
        ("/api/v1/me/guesses", "get"): {"200", "400", "401"},
    }
    for (path, method), statuses in expected.items():
        assert set(schema[path][method]["responses"]) == statuses, (path, method)
    assert not schema["/api/v1/offers/{offer_id}/guesses"]["get"].get("security")
