"""Team buys through the JSON API (shared/API.md "Points and games"): open a team, join it,
read a team and an offer's teams. Every refusal has its stable code and changes nothing."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community_commerce.models import Order, Team
from tests import factories
from tests.api.test_commerce_api import API, Api, error_of, parse_time, unchanged

pytestmark = pytest.mark.django_db

TERMS = {"unit_price": "29.90", "solo_price": "39.90", "team_size": 3, "team_hours": 24}


@pytest.fixture
def shop():
    return factories.merchant(factories.user("seller"), display_name="Tea House")


@pytest.fixture
def offer(shop):
    return factories.offer(
        "team_buy", merchant_=shop, stock=10, per_user_limit=3, terms=TERMS, ends_at=timezone.now() + timedelta(days=3)
    )


@pytest.fixture
def callers():
    return [Api(factories.user(name)) for name in ("alice", "bob", "carol", "dan")]


def test_a_member_opens_a_team_and_others_join_until_it_completes(offer, callers):
    opened = callers[0].post(f"/offers/{offer.pk}/teams", {"quantity": 2})
    assert opened.status_code == 201, opened.content
    team = opened.json()
    assert set(team) >= {"id", "url", "members", "needed", "expires_at", "status"}
    assert (team["members"], team["needed"], team["status"], team["size"], team["offer"]) == (1, 2, "open", 3, offer.pk)
    assert team["url"] == "http://testserver" + reverse("community_commerce:team", args=[team["id"]])
    assert parse_time(team["expires_at"]) > timezone.now() + timedelta(hours=23)

    joined = callers[1].post(f"/teams/{team['id']}/join", {"quantity": 1})
    assert joined.status_code == 201, joined.content
    claim = joined.json()
    assert (claim["status"], claim["quantity"], claim["unit_price"], claim["order"]) == ("active", 1, "29.90", None)

    read = Client().get(f"{API}/teams/{team['id']}")  # anyone
    assert read.status_code == 200 and (read.json()["members"], read.json()["needed"]) == (2, 1)

    last = callers[2].post(f"/teams/{team['id']}/join", {"quantity": 1})
    assert last.status_code == 201, last.content
    body = last.json()
    assert body["status"] == "ordered" and body["order"] is not None and body["total"] == "29.90"
    assert Order.objects.filter(offer=offer).count() == 3
    done = Client().get(f"{API}/teams/{team['id']}").json()
    assert (done["status"], done["needed"], done["members"]) == ("complete", 0, 3)
    assert done["closed_at"] is not None


def test_the_offers_teams_can_be_listed_by_status(offer, callers):
    first = callers[0].post(f"/offers/{offer.pk}/teams", {"quantity": 1}).json()
    second = callers[1].post(f"/offers/{offer.pk}/teams", {"quantity": 1}).json()
    expired = callers[2].post(f"/offers/{offer.pk}/teams", {"quantity": 1}).json()
    Team.objects.filter(pk=expired["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    anyone = Client()
    listed = anyone.get(f"{API}/offers/{offer.pk}/teams", {"status": "open"}).json()
    assert [t["id"] for t in listed["items"]] == [first["id"], second["id"]] and listed["count"] == 2
    everything = anyone.get(f"{API}/offers/{offer.pk}/teams").json()
    assert everything["count"] == 3
    assert anyone.get(f"{API}/offers/{offer.pk}/teams", {"status": "failed"}).json()["count"] == 0
    error_of(anyone.get(f"{API}/offers/{offer.pk}/teams", {"status": "nope"}), 400, "invalid")
    error_of(anyone.get(f"{API}/offers/{offer.pk + 99}/teams"), 404, "not_found")
    error_of(anyone.get(f"{API}/teams/{expired['id'] + 99}"), 404, "not_found")


def test_the_same_idempotency_key_answers_200_with_the_first_team(offer, callers):
    first = callers[0].post(f"/offers/{offer.pk}/teams", {"quantity": 1, "idempotency_key": "abc"})
    again = callers[0].post(f"/offers/{offer.pk}/teams", {"quantity": 1, "idempotency_key": "abc"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Team.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"quantity": 0}, "invalid_quantity"),
        ({"quantity": "two"}, "invalid_quantity"),
        ({"quantity": 2.5}, "invalid_quantity"),
    ],
)
def test_bad_quantities_change_nothing(offer, callers, body, code):
    team = callers[0].post(f"/offers/{offer.pk}/teams", {"quantity": 1}).json()
    with unchanged():
        error_of(callers[1].post(f"/offers/{offer.pk}/teams", body), 400, code)
        error_of(callers[1].post(f"/teams/{team['id']}/join", body), 400, code)


def test_refusals_have_their_codes_and_change_nothing(offer, shop, callers):
    seller = Api(shop.user)
    team = callers[0].post(f"/offers/{offer.pk}/teams", {"quantity": 1}).json()
    with unchanged():
        error_of(seller.post(f"/offers/{offer.pk}/teams", {"quantity": 1}), 403, "own_offer")
        error_of(seller.post(f"/teams/{team['id']}/join", {"quantity": 1}), 403, "own_offer")
        error_of(callers[0].post(f"/teams/{team['id']}/join", {"quantity": 1}), 409, "already_in_team")
        error_of(callers[1].post(f"/offers/{offer.pk}/teams", {"quantity": 4}), 409, "limit_exceeded")
        error_of(callers[1].post(f"/teams/{team['id'] + 99}/join", {"quantity": 1}), 404, "not_found")
        error_of(Api().post(f"/teams/{team['id']}/join", {"quantity": 1}), 401, "not_authenticated")
    sale = factories.offer("flash_sale", merchant_=shop)
    with unchanged():
        error_of(callers[1].post(f"/offers/{sale.pk}/teams", {"quantity": 1}), 409, "not_a_team_buy")
    offer.__class__.objects.filter(pk=offer.pk).update(sold=9)
    with unchanged():
        error_of(callers[1].post(f"/offers/{offer.pk}/teams", {"quantity": 1}), 409, "not_enough_stock")
    Team.objects.filter(pk=team["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    with unchanged():
        error_of(callers[1].post(f"/teams/{team['id']}/join", {"quantity": 1}), 409, "team_closed")
    Team.objects.filter(pk=team["id"]).update(expires_at=timezone.now() + timedelta(hours=1), members=3)
    with unchanged():
        error_of(callers[1].post(f"/teams/{team['id']}/join", {"quantity": 1}), 409, "team_full")


def responses_of(method, path):
    schema = Client().get(f"{API}/openapi.json").json()
    return {int(s) for s in schema["paths"][f"{API}{path}"][method]["responses"] if s.startswith("4")}


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("get", "/teams/{team_id}", {400, 404}),
        ("get", "/offers/{offer_id}/teams", {400, 404}),
        ("post", "/offers/{offer_id}/teams", {400, 401, 403, 404, 409, 413, 415}),
        ("post", "/teams/{team_id}/join", {400, 401, 403, 404, 409, 413, 415}),
    ],
)
def test_openapi_declares_every_error_of_the_team_endpoints(method, path, statuses):
    assert responses_of(method, path) == statuses
