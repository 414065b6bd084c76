"""The commerce part of the JSON API v1 (shared/API.md): offers, claims, orders.

Everything goes through HTTP, members authenticated with allauth's
X-Session-Token (once with the session cookie). Every rejected request is
checked to leave the database exactly as it was.
"""

import copy
import json
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community_commerce.models import Claim, ClaimTally, Offer, OfferReminder, Order, OrderEvent
from community_commerce.services import claim_notices, schedule
from forum.models import Notification, Post
from tests import factories
from tests.offer_terms import OFFER_TERMS

pytestmark = pytest.mark.django_db

API = "/api/v1"

TERMS = OFFER_TERMS  # the example terms of API.md, one per kind


# --- Helpers ------------------------------------------------------------------------------------------


def login_token(username, password=factories.PASSWORD):
    """Log in through allauth's headless app API; the session token for X-Session-Token."""
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"username": username, "password": password}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


class Api:
    """One caller of the API: a member with a session token, a member with the
    session cookie (``cookie=True``) or an anonymous visitor (``user=None``)."""

    def __init__(self, user=None, *, cookie=False, raise_errors=True):
        self.user = user
        headers = {"X-Session-Token": login_token(user.username)} if user is not None and not cookie else {}
        self.client = Client(headers=headers, raise_request_exception=raise_errors)
        if cookie:
            self.client.force_login(user)

    @property
    def username(self):
        return self.user.username

    def get(self, path, **params):
        return self.client.get(f"{API}{path}", params)

    def post(self, path, data=None):
        body = "" if data is None else json.dumps(data)
        return self.client.post(f"{API}{path}", body, content_type="application/json")

    def patch(self, path, data):
        return self.client.patch(f"{API}{path}", json.dumps(data), content_type="application/json")

    def delete(self, path):
        return self.client.delete(f"{API}{path}")


def error_of(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


def db_state():
    """What a rejected request must not change: every offer, claim, order, event, tally and reminder."""
    return (
        list(Offer.objects.order_by("id").values_list("id", "status", "sold", "revision", "title", "closed_at")),
        list(Claim.objects.order_by("id").values_list("id", "status", "quantity", "unit_price")),
        list(Order.objects.order_by("id").values_list("id", "status", "total")),
        OrderEvent.objects.count(),
        list(ClaimTally.objects.order_by("id").values_list("id", "taken")),
        OfferReminder.objects.count(),
    )


@contextmanager
def unchanged():
    before = db_state()
    yield
    assert db_state() == before


def iso(dt):
    return dt.isoformat()


def parse_time(value):
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


def same_time(value, expected):
    """An API time (ISO 8601 with offset; the JSON encoder keeps milliseconds) is ``expected``."""
    return abs(parse_time(value) - expected) < timedelta(milliseconds=1)


def move(offer, **times):
    """Move an offer in time (starts_at / ends_at), as the clock would."""
    Offer.objects.filter(pk=offer.pk).update(**times)
    offer.refresh_from_db()


def claim_of(api, offer, quantity=1, **extra):
    response = api.post(f"/offers/{offer.pk}/claims", {"quantity": quantity, **extra})
    assert response.status_code == 201, response.content
    return response.json()


def sold(offer):
    return Offer.objects.get(pk=offer.pk).sold


# --- Fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def deals():
    return factories.category("Deals", slug="deals", commerce_enabled=True)


@pytest.fixture
def shop():
    return factories.merchant(factories.user("seller"), display_name="Tea House")


@pytest.fixture
def shop_thread(shop, deals):
    return factories.commerce_thread(shop, category_=deals, title="Tea deals")


@pytest.fixture
def seller(shop):
    return Api(shop.user)


@pytest.fixture
def buyer():
    return Api(factories.user("buyer"))


@pytest.fixture
def other_buyer():
    return Api(factories.user("otherbuyer"))


@pytest.fixture
def visitor():
    return Api()


def offer_body(kind, thread, **changes):
    now = timezone.now()
    body = {
        "kind": kind,
        "thread": thread.pk,
        "title": f"Green tea {kind}",
        "description": "Sencha from Shizuoka",
        "currency": "EUR",
        "starts_at": iso(now - timedelta(minutes=1)),
        "ends_at": iso(now + timedelta(days=2)),
        "stock": None if kind == "group_buy" else 20,
        "per_user_limit": 5,
        "terms": copy.deepcopy(TERMS[kind]),
    }
    body.update(changes)
    return body


# --- Creating offers ------------------------------------------------------------------------------------

KIND_FIELDS = {
    "group_buy": {
        "current_unit_price": "19.90",
        "min_quantity": 10,
        "reached": False,
        "tiers": [{"min_quantity": 30, "unit_price": "17.90"}],
        "current_tier": None,
        "next_tier": {"min_quantity": 30, "unit_price": "17.90"},
    },
    "flash_sale": {"current_unit_price": "9.90"},
    "dutch_auction": {
        "current_unit_price": "100.00",
        "start_price": "100.00",
        "floor_price": "40.00",
        "next_price": "95.00",
    },
}
GROUP_ONLY = {"min_quantity", "reached", "tiers", "current_tier", "next_tier"}
DUTCH_ONLY = {"start_price", "floor_price", "next_price", "next_price_at"}


@pytest.mark.parametrize("kind", ["group_buy", "flash_sale", "dutch_auction"])
def test_verified_merchant_creates_each_kind_in_their_thread(seller, shop, shop_thread, kind):
    body = offer_body(kind, shop_thread, starts_at=iso(timezone.now() - timedelta(seconds=30)))
    response = seller.post("/offers", body)

    assert response.status_code == 201, response.content
    data = response.json()
    offer = Offer.objects.get(pk=data["id"])
    assert (offer.kind, offer.thread_id, offer.merchant, offer.title) == (kind, shop_thread.pk, shop, body["title"])
    assert offer.status == Offer.Status.LIVE
    assert {field: offer.terms[field] for field in body["terms"]} == body["terms"]
    assert data["kind"] == kind
    assert data["thread"] == shop_thread.pk
    assert data["merchant"] == "Tea House"
    assert data["status"] == "live"
    assert data["is_open"] is True
    assert data["currency"] == "EUR"
    assert data["stock"] == body["stock"]
    assert data["stock_left"] == body["stock"]
    assert data["quantity_claimed"] == 0
    assert data["buyers"] == 0
    assert data["per_user_limit"] == 5
    assert data["closed_at"] is None
    assert same_time(data["starts_at"], offer.starts_at)
    assert same_time(data["ends_at"], offer.ends_at)
    assert data["url"] == f"http://testserver/t/{shop_thread.pk}/#offer-{offer.pk}"
    for field, value in KIND_FIELDS[kind].items():
        assert data[field] == value, field
    others = {"group_buy": DUTCH_ONLY, "flash_sale": GROUP_ONLY | DUTCH_ONLY, "dutch_auction": GROUP_ONLY}[kind]
    assert not others & set(data), "fields of another kind"
    # the same state is what anyone reads afterwards
    again = Api().get(f"/offers/{offer.pk}").json()
    assert {k: v for k, v in again.items() if k != "server_time"} == {
        k: v for k, v in data.items() if k != "server_time"
    }


def test_group_buy_stores_its_tiers_and_a_thread_event(seller, shop_thread, django_capture_on_commit_callbacks):
    terms = {
        "unit_price": "19.90",
        "min_quantity": 10,
        "tiers": [{"min_quantity": 30, "unit_price": "17.90"}, {"min_quantity": "50", "unit_price": 15.5}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = seller.post("/offers", offer_body("group_buy", shop_thread, terms=terms))
    assert response.status_code == 201, response.content
    offer = Offer.objects.get(pk=response.json()["id"])
    assert offer.terms["tiers"] == [
        {"min_quantity": 30, "unit_price": "17.90"},
        {"min_quantity": 50, "unit_price": "15.50"},
    ]
    assert offer.stock is None
    assert response.json()["tiers"] == offer.terms["tiers"]
    assert Post.objects.filter(thread=shop_thread, kind=Post.Kind.EVENT, params__title=offer.title).exists()


def test_offer_starting_later_is_scheduled(seller, shop_thread):
    starts = timezone.now() + timedelta(hours=3)
    body = offer_body("flash_sale", shop_thread, starts_at=iso(starts.astimezone(timezone.get_fixed_timezone(120))))
    response = seller.post("/offers", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "scheduled"
    assert data["is_open"] is False
    assert same_time(data["starts_at"], starts)
    assert Offer.objects.get(pk=data["id"]).status == Offer.Status.SCHEDULED


def test_merchant_with_the_session_cookie_creates_an_offer(shop, shop_thread):
    response = Api(shop.user, cookie=True).post("/offers", offer_body("flash_sale", shop_thread))
    assert response.status_code == 201, response.content
    assert Offer.objects.get(pk=response.json()["id"]).merchant == shop


def test_visitor_cannot_create_an_offer(visitor, shop_thread):
    with unchanged():
        error_of(visitor.post("/offers", offer_body("flash_sale", shop_thread)), 401, "not_authenticated")
    assert Offer.objects.count() == 0


@pytest.mark.parametrize("status", [None, "pending", "suspended"])
def test_only_a_verified_merchant_creates_offers(deals, status):
    member = factories.user("maybe_seller")
    if status:
        factories.merchant(member, status=status)
    thread = factories.thread(author=member, category_=deals)
    with unchanged():
        error_of(Api(member).post("/offers", offer_body("flash_sale", thread)), 403, "not_merchant")
    assert Offer.objects.count() == 0


def test_offer_in_someone_elses_thread_is_403(seller, deals):
    theirs = factories.thread(category_=deals)
    with unchanged():
        error_of(seller.post("/offers", offer_body("flash_sale", theirs)), 403, "not_your_thread")
    assert Offer.objects.count() == 0


def test_offer_in_a_category_without_commerce_is_403(seller, shop):
    chat = factories.category("Chat", slug="chat")
    thread = factories.thread(author=shop.user, category_=chat)
    with unchanged():
        error_of(seller.post("/offers", offer_body("flash_sale", thread)), 403, "commerce_disabled")
    assert Offer.objects.count() == 0


def test_offer_in_a_locked_thread_is_403(seller, shop, deals):
    thread = factories.commerce_thread(shop, category_=deals, locked=True)
    with unchanged():
        error_of(seller.post("/offers", offer_body("flash_sale", thread)), 403, "thread_locked")


def test_offer_in_a_missing_thread_is_404(seller):
    body = offer_body("flash_sale", factories.thread())
    body["thread"] = 987654
    with unchanged():
        error_of(seller.post("/offers", body), 404, "not_found")


def _terms(**changes):
    return lambda body: body["terms"].update(changes)


def _set(**changes):
    return lambda body: body.update(changes)


def _ends_before_start(body):
    body["ends_at"] = iso(timezone.now() + timedelta(hours=1))
    body["starts_at"] = iso(timezone.now() + timedelta(hours=2))


def _drop(field):
    return lambda body: body.pop(field)


BAD_OFFERS = [
    pytest.param("dutch_auction", _terms(floor_price="100.00"), "terms.floor_price", id="floor_eq_start"),
    pytest.param("dutch_auction", _terms(floor_price="120.00"), "terms.floor_price", id="floor_gt_start"),
    pytest.param("dutch_auction", _terms(step="0"), "terms.step", id="step_0"),
    pytest.param("dutch_auction", _terms(step="-5.00"), "terms.step", id="step_negative"),
    pytest.param("dutch_auction", _terms(step_seconds=0), "terms.step_seconds", id="step_seconds_0"),
    pytest.param("dutch_auction", _terms(step_seconds="²"), "terms.step_seconds", id="step_seconds_sup"),
    pytest.param("dutch_auction", lambda b: b["terms"].pop("start_price"), "terms.start_price", id="no_start_price"),
    pytest.param("flash_sale", _ends_before_start, "ends_at", id="ends_before_start"),
    pytest.param("flash_sale", _set(ends_at=iso(timezone.now() - timedelta(hours=1))), "ends_at", id="ends_in_past"),
    pytest.param("flash_sale", _set(starts_at="2026-12-01T18:00:00"), "starts_at", id="no_offset"),
    pytest.param("flash_sale", _set(starts_at="next tuesday"), "starts_at", id="not_a_time"),
    pytest.param("flash_sale", _set(currency="XYZ"), "currency", id="unknown_currency"),
    pytest.param("flash_sale", _set(currency="euro"), "currency", id="currency_not_a_code"),
    pytest.param("flash_sale", _set(stock=0), "stock", id="stock_0"),
    pytest.param("flash_sale", _set(stock=-3), "stock", id="stock_negative"),
    pytest.param("flash_sale", _set(stock=None), "stock", id="flash_sale_without_stock"),
    pytest.param("flash_sale", _set(stock=2.5), "stock", id="stock_fraction"),
    pytest.param("flash_sale", _set(stock="²"), "stock", id="stock_superscript_digit"),
    pytest.param("flash_sale", _set(stock="9" * 5000), "stock", id="stock_5000_digits"),
    pytest.param("flash_sale", _set(per_user_limit=0), "per_user_limit", id="per_user_limit_0"),
    pytest.param("flash_sale", _set(per_user_limit="²"), "per_user_limit", id="per_user_limit_superscript"),
    pytest.param("flash_sale", _terms(unit_price="9.999"), "terms.unit_price", id="three_decimals"),
    pytest.param("flash_sale", _terms(unit_price="0"), "terms.unit_price", id="free"),
    pytest.param("flash_sale", _terms(unit_price="NaN"), "terms.unit_price", id="nan"),
    pytest.param("flash_sale", _terms(reservation_minutes=0), "terms.reservation_minutes", id="resv_0"),
    pytest.param("flash_sale", _set(title="ab"), "title", id="short_title"),
    pytest.param("flash_sale", _set(kind="raffle"), "kind", id="unknown_kind"),
    pytest.param("flash_sale", _drop("title"), "title", id="missing_title"),
    pytest.param("flash_sale", _set(terms=["unit_price", "9.90"]), "terms", id="terms_not_an_object"),
    pytest.param(
        "group_buy",
        _terms(
            tiers=[{"min_quantity": 30, "unit_price": "17.90"}, {"min_quantity": 20, "unit_price": "15.90"}],
        ),
        "terms.tiers.1.min_quantity",
        id="tiers_not_ascending",
    ),
    pytest.param(
        "group_buy",
        _terms(tiers=[{"min_quantity": 5, "unit_price": "17.90"}]),
        "terms.tiers.0.min_quantity",
        id="tier_below_min_quantity",
    ),
    pytest.param(
        "group_buy",
        _terms(tiers=[{"min_quantity": 30, "unit_price": "19.90"}]),
        "terms.tiers.0.unit_price",
        id="tier_price_not_lower",
    ),
    pytest.param(
        "group_buy",
        _terms(
            tiers=[{"min_quantity": 30, "unit_price": "17.90"}, {"min_quantity": 50, "unit_price": "18.90"}],
        ),
        "terms.tiers.1.unit_price",
        id="tier_prices_not_descending",
    ),
    pytest.param("group_buy", _terms(min_quantity=0), "terms.min_quantity", id="min_quantity_0"),
    pytest.param("group_buy", _terms(tiers="cheaper later"), "terms.tiers", id="tiers_not_a_list"),
]


@pytest.mark.parametrize(("kind", "change", "field"), BAD_OFFERS)
def test_invalid_offer_is_400_with_the_field_and_creates_nothing(seller, shop_thread, kind, change, field):
    body = offer_body(kind, shop_thread)
    change(body)
    with unchanged():
        answer = error_of(seller.post("/offers", body), 400, "invalid")
    assert field in answer["fields"], answer
    assert answer["fields"][field] and all(isinstance(m, str) for m in answer["fields"][field])
    assert Offer.objects.count() == 0


def test_every_problem_of_an_offer_is_reported_at_once(seller, shop_thread):
    body = offer_body("dutch_auction", shop_thread, currency="XYZ", stock=0)
    body["terms"].update(floor_price="150.00", step="0")
    with unchanged():
        answer = error_of(seller.post("/offers", body), 400, "invalid")
    assert {"currency", "stock", "terms.floor_price", "terms.step"} <= set(answer["fields"])


def test_huge_price_is_400_not_500(shop, shop_thread):
    body = offer_body("flash_sale", shop_thread)
    body["terms"]["unit_price"] = "1e30"
    with unchanged():
        response = Api(shop.user, raise_errors=False).post("/offers", body)
        answer = error_of(response, 400, "invalid")
    assert "terms.unit_price" in answer["fields"]


def test_group_buy_that_can_never_reach_its_minimum_is_400(seller, shop_thread):
    body = offer_body("group_buy", shop_thread, stock=5)  # min_quantity is 10
    with unchanged():
        answer = error_of(seller.post("/offers", body), 400, "invalid")
    assert "stock" in answer["fields"] or "terms.min_quantity" in answer["fields"]


# --- Editing and cancelling offers --------------------------------------------------------------------


def test_merchant_edits_an_offer_before_the_first_claim(seller, shop):
    offer = factories.offer("flash_sale", merchant_=shop, stock=10)
    response = seller.patch(f"/offers/{offer.pk}", {"title": "Matcha, cheaper", "terms": {"unit_price": "8.50"}})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["title"] == "Matcha, cheaper"
    assert data["current_unit_price"] == "8.50"
    assert data["stock"] == 10  # what was not sent stays
    offer.refresh_from_db()
    assert (offer.title, offer.terms["unit_price"], offer.revision) == ("Matcha, cheaper", "8.50", 1)


def test_terms_are_frozen_after_the_first_claim(seller, shop, buyer):
    offer = factories.offer("flash_sale", merchant_=shop)
    order_id = claim_of(buyer, offer)["order"]
    with unchanged():
        error_of(seller.patch(f"/offers/{offer.pk}", {"terms": {"unit_price": "99.00"}}), 409, "terms_frozen")
    # a cancelled reservation does not thaw them
    assert buyer.post(f"/orders/{order_id}/cancel").status_code == 200
    assert sold(offer) == 0
    with unchanged():
        error_of(seller.patch(f"/offers/{offer.pk}", {"title": "Another title"}), 409, "terms_frozen")


def test_only_its_merchant_edits_an_offer(buyer, deals):
    offer = factories.offer("flash_sale")
    rival = factories.merchant()
    with unchanged():
        error_of(Api(rival.user).patch(f"/offers/{offer.pk}", {"title": "Mine now"}), 403, "forbidden")
        error_of(buyer.patch(f"/offers/{offer.pk}", {"title": "Mine now"}), 403, "forbidden")


def test_invalid_edit_is_400(seller, shop):
    offer = factories.offer("dutch_auction", merchant_=shop)
    with unchanged():
        answer = error_of(
            seller.patch(f"/offers/{offer.pk}", {"terms": {**TERMS["dutch_auction"], "floor_price": "200.00"}}),
            400,
            "invalid",
        )
    assert "terms.floor_price" in answer["fields"]


def test_merchant_cancels_a_group_buy_and_the_buyers_are_told(
    seller, shop, buyer, other_buyer, django_capture_on_commit_callbacks
):
    offer = factories.offer("group_buy", merchant_=shop)
    first = claim_of(buyer, offer, 2)
    second = claim_of(other_buyer, offer, 3)
    with django_capture_on_commit_callbacks(execute=True):
        response = seller.post(f"/offers/{offer.pk}/cancel", {"reason": "The supplier let us down"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "cancelled"
    assert data["cancel_reason"] == "The supplier let us down"
    assert data["is_open"] is False
    assert data["closed_at"]
    assert set(Claim.objects.filter(pk__in=[first["id"], second["id"]]).values_list("status", flat=True)) == {
        Claim.Status.RELEASED
    }
    told = Notification.objects.filter(kind="offer_cancelled")
    assert set(told.values_list("recipient__username", flat=True)) == {buyer.username, other_buyer.username}
    assert all("The supplier let us down" in n.text for n in told)
    # cancelling again changes nothing
    with unchanged():
        assert seller.post(f"/offers/{offer.pk}/cancel", {"reason": "again"}).status_code == 200


def test_cancelling_a_flash_sale_cancels_its_open_orders(seller, shop, buyer):
    offer = factories.offer("flash_sale", merchant_=shop, stock=5)
    order_id = claim_of(buyer, offer, 2)["order"]
    response = seller.post(f"/offers/{offer.pk}/cancel", {"reason": "Wrong price"})
    assert response.status_code == 200, response.content
    order = buyer.get(f"/orders/{order_id}").json()
    assert order["status"] == "cancelled"
    assert order["events"][-1]["to_status"] == "cancelled"
    assert order["events"][-1]["reason"] == "Wrong price"
    assert Claim.objects.get(order__pk=order_id).status == Claim.Status.CANCELLED


def test_staff_cancels_an_offer(shop):
    offer = factories.offer("flash_sale", merchant_=shop)
    response = Api(factories.staff()).post(f"/offers/{offer.pk}/cancel", {"reason": "Against the rules"})
    assert response.status_code == 200, response.content
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.CANCELLED


@pytest.mark.parametrize("body", [None, {}, {"reason": "   "}], ids=["no_body", "no_reason", "blank_reason"])
def test_cancel_needs_a_reason(seller, shop, body):
    offer = factories.offer("flash_sale", merchant_=shop)
    with unchanged():
        answer = error_of(seller.post(f"/offers/{offer.pk}/cancel", body), 400, "invalid")
    assert "reason" in answer["fields"]


def test_only_its_merchant_or_staff_cancels(buyer, shop):
    offer = factories.offer("flash_sale", merchant_=shop)
    with unchanged():
        error_of(buyer.post(f"/offers/{offer.pk}/cancel", {"reason": "I do not like it"}), 403, "forbidden")
        error_of(Api(factories.merchant().user).post(f"/offers/{offer.pk}/cancel", {"reason": "x"}), 403, "forbidden")
        error_of(Api().post(f"/offers/{offer.pk}/cancel", {"reason": "x"}), 401, "not_authenticated")


# --- Claims -------------------------------------------------------------------------------------------


def test_flash_sale_claim_reserves_with_an_order_at_the_server_price(buyer, shop, django_capture_on_commit_callbacks):
    offer = factories.offer("flash_sale", merchant_=shop, stock=5)
    with django_capture_on_commit_callbacks(execute=True):
        response = buyer.post(
            f"/offers/{offer.pk}/claims", {"quantity": 2, "unit_price": "0.01", "total": "0.02", "price": "0.01"}
        )
    assert response.status_code == 201, response.content
    data = response.json()
    claim = Claim.objects.get(pk=data["id"])
    order = Order.objects.get(claim=claim)
    assert data["offer"] == offer.pk
    assert data["quantity"] == 2
    assert data["status"] == "ordered"
    assert data["unit_price"] == "9.90"
    assert data["currency"] == "EUR"
    assert data["order"] == order.pk
    assert (claim.unit_price, order.unit_price, order.total) == (Decimal("9.90"), Decimal("9.90"), Decimal("19.80"))
    assert order.buyer == buyer.user
    assert order.status == Order.Status.PENDING_PAYMENT
    assert sold(offer) == 2
    state = Api().get(f"/offers/{offer.pk}").json()
    assert (state["stock_left"], state["quantity_claimed"], state["buyers"]) == (3, 2, 1)
    claim_notices.send_pending()  # as the sweeper does
    assert Notification.objects.filter(recipient=buyer.user, kind="offer_joined").count() == 1


def test_flash_sale_claim_of_three_at_9_90_makes_an_order_of_29_70(buyer):
    offer = factories.offer("flash_sale", stock=5)
    response = Api(buyer.user, raise_errors=False).post(f"/offers/{offer.pk}/claims", {"quantity": 3})
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["order"])
    assert (order.unit_price, order.total) == (Decimal("9.90"), Decimal("29.70"))


def test_dutch_auction_claim_pays_the_price_of_the_moment(buyer):
    # three and a half steps of 60 s after the start: 100 - 3 x 5
    offer = factories.offer("dutch_auction", starts_at=timezone.now() - timedelta(seconds=210))
    response = buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 1, "unit_price": "0.01"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["unit_price"] == "85.00"
    order = Order.objects.get(pk=data["order"])
    assert (order.unit_price, order.total) == (Decimal("85.00"), Decimal("85.00"))


def test_group_buy_claim_is_a_commitment_without_an_order(buyer):
    offer = factories.offer("group_buy")
    response = buyer.post(f"/offers/{offer.pk}/claims", {"quantity": "3", "unit_price": "0.01"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["status"], data["order"], data["unit_price"], data["quantity"]) == ("active", None, "19.90", 3)
    assert Order.objects.count() == 0
    assert sold(offer) == 3


def test_member_with_the_session_cookie_claims(shop):
    offer = factories.offer("flash_sale", merchant_=shop)
    member = factories.user()
    response = Api(member, cookie=True).post(f"/offers/{offer.pk}/claims", {"quantity": 1})
    assert response.status_code == 201, response.content
    assert Claim.objects.get(pk=response.json()["id"]).buyer == member


@pytest.mark.parametrize(
    "quantity",
    [0, -1, "abc", 1.5, "1.5", "", None, True, [1], {"n": 1}, 10_001, " ", "1e3", "²", "٣", "1" * 5000],
    ids=lambda q: repr(q)[:12],
)
def test_invalid_quantity_is_400_from_the_service(buyer, quantity):
    offer = factories.offer("flash_sale")
    with unchanged():
        answer = error_of(buyer.post(f"/offers/{offer.pk}/claims", {"quantity": quantity}), 400, "invalid_quantity")
    assert answer["fields"]["quantity"]


def test_missing_quantity_is_400_invalid_quantity(buyer):
    offer = factories.offer("flash_sale")
    with unchanged():
        error_of(buyer.post(f"/offers/{offer.pk}/claims", {}), 400, "invalid_quantity")


def test_quantity_above_the_per_member_limit_is_409(buyer):
    offer = factories.offer("flash_sale", per_user_limit=3)
    with unchanged():
        error_of(buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 4}), 409, "limit_exceeded")


def test_per_member_limit_counts_every_claim(buyer, other_buyer):
    offer = factories.offer("group_buy", per_user_limit=5)
    claim_of(buyer, offer, 3)
    with unchanged():
        error_of(buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 3}), 409, "limit_exceeded")
    claim_of(buyer, offer, 2)  # exactly the limit
    with unchanged():
        error_of(buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 1}), 409, "limit_exceeded")
    claim_of(other_buyer, offer, 5)  # the limit is per member
    assert sold(offer) == 10


def test_withdrawing_gives_the_allowance_back(buyer):
    offer = factories.offer("group_buy", per_user_limit=4)
    first = claim_of(buyer, offer, 4)
    assert buyer.delete(f"/claims/{first['id']}").status_code == 200
    claim_of(buyer, offer, 4)


def test_claim_before_the_start_is_409_not_started(buyer):
    offer = factories.offer("flash_sale", starts_at=timezone.now() + timedelta(hours=1))
    with unchanged():
        error_of(buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 1}), 409, "not_started")


def test_claim_after_the_end_is_409_closed_even_before_the_sweeper(buyer):
    offer = factories.offer("flash_sale")
    now = timezone.now()
    move(offer, starts_at=now - timedelta(hours=2), ends_at=now - timedelta(seconds=1))
    assert offer.status == Offer.Status.LIVE and offer.closed_at is None  # not swept yet
    with unchanged():
        error_of(buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 1}), 409, "closed")


def test_claim_on_a_cancelled_offer_is_409_closed(buyer, seller, shop):
    offer = factories.offer("flash_sale", merchant_=shop)
    assert seller.post(f"/offers/{offer.pk}/cancel", {"reason": "Out of stock"}).status_code == 200
    with unchanged():
        error_of(buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 1}), 409, "closed")


def test_merchant_cannot_claim_their_own_offer(seller, shop):
    offer = factories.offer("flash_sale", merchant_=shop)
    with unchanged():
        error_of(seller.post(f"/offers/{offer.pk}/claims", {"quantity": 1}), 403, "own_offer")


def test_sold_out_is_409(buyer, other_buyer):
    offer = factories.offer("flash_sale", stock=3)
    claim_of(buyer, offer, 2)
    with unchanged():
        answer = error_of(other_buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 2}), 409, "sold_out")
    assert "1" in answer["message"]  # says how many are left
    claim_of(other_buyer, offer, 1)
    state = Api().get(f"/offers/{offer.pk}").json()
    assert (state["status"], state["stock_left"], state["is_open"]) == ("sold_out", 0, False)
    with unchanged():
        error_of(other_buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 1}), 409, "sold_out")


def test_same_idempotency_key_returns_the_same_claim_and_takes_stock_once(buyer, other_buyer):
    offer = factories.offer("flash_sale", stock=5)
    first = buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 2, "idempotency_key": "tap-1"})
    assert first.status_code == 201, first.content
    with unchanged():
        again = buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 2, "idempotency_key": "tap-1"})
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    assert sold(offer) == 2
    assert Order.objects.count() == 1
    # another member's key is their own
    theirs = other_buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 1, "idempotency_key": "tap-1"})
    assert theirs.status_code == 201
    assert theirs.json()["id"] != first.json()["id"]
    assert sold(offer) == 3


def test_same_idempotency_key_with_another_body_is_409(buyer):
    offer = factories.offer("flash_sale", stock=5)
    first = buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 2, "idempotency_key": "tap-1"})
    assert first.status_code == 201, first.content
    with unchanged():
        answer = error_of(
            buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 1, "idempotency_key": "tap-1"}),
            409,
            "idempotency_key_reused",
        )
    assert "tap-1" not in answer["message"] and "2" in answer["message"]
    assert sold(offer) == 2


def test_overlong_idempotency_key_is_400(buyer):
    offer = factories.offer("flash_sale")
    with unchanged():
        answer = error_of(
            buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 1, "idempotency_key": "k" * 101}), 400, "invalid"
        )
    assert "idempotency_key" in answer["fields"]


def test_claims_need_a_login_and_an_offer(visitor, buyer):
    offer = factories.offer("flash_sale")
    with unchanged():
        error_of(visitor.post(f"/offers/{offer.pk}/claims", {"quantity": 1}), 401, "not_authenticated")
        error_of(buyer.post("/offers/987654/claims", {"quantity": 1}), 404, "not_found")


# --- Withdrawing ------------------------------------------------------------------------------------------


def test_buyer_withdraws_a_group_buy_claim(buyer):
    offer = factories.offer("group_buy", stock=10)
    claim = claim_of(buyer, offer, 4)
    assert Api().get(f"/offers/{offer.pk}").json()["stock_left"] == 6

    response = buyer.delete(f"/claims/{claim['id']}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["id"], data["status"], data["quantity"]) == (claim["id"], "withdrawn", 4)
    state = Api().get(f"/offers/{offer.pk}").json()
    assert (state["quantity_claimed"], state["stock_left"], state["buyers"]) == (0, 10, 0)

    with unchanged():  # twice is harmless
        again = buyer.delete(f"/claims/{claim['id']}")
    assert again.status_code == 200
    assert again.json()["status"] == "withdrawn"
    assert sold(offer) == 0


def test_withdrawing_someone_elses_claim_is_404(buyer, other_buyer):
    offer = factories.offer("group_buy")
    claim = claim_of(buyer, offer, 2)
    with unchanged():
        mine = other_buyer.delete(f"/claims/{claim['id']}")
        missing = other_buyer.delete("/claims/987654")
    error_of(mine, 404, "not_found")
    assert mine.json() == missing.json()


def test_a_reservation_is_not_withdrawn_but_cancelled_through_its_order(buyer):
    offer = factories.offer("flash_sale")
    claim = claim_of(buyer, offer, 1)
    with unchanged():
        error_of(buyer.delete(f"/claims/{claim['id']}"), 409, "not_withdrawable")


def test_withdrawing_after_the_end_is_409(buyer):
    offer = factories.offer("group_buy")
    claim = claim_of(buyer, offer, 1)
    move(offer, ends_at=timezone.now() - timedelta(seconds=1))
    with unchanged():
        error_of(buyer.delete(f"/claims/{claim['id']}"), 409, "closed")


def test_a_locked_group_buy_keeps_its_commitments_once_reached(buyer):
    offer = factories.offer("group_buy", terms={**TERMS["group_buy"], "lock_when_reached": True})
    claim = claim_of(buyer, offer, 10)
    with unchanged():
        error_of(buyer.delete(f"/claims/{claim['id']}"), 409, "threshold_locked")


# --- Orders ---------------------------------------------------------------------------------------------


def test_order_pipeline_merchant_pays_and_ships_buyer_completes(
    seller, shop, buyer, django_capture_on_commit_callbacks
):
    offer = factories.offer("flash_sale", merchant_=shop)
    order_id = claim_of(buyer, offer, 2)["order"]

    order = buyer.get(f"/orders/{order_id}").json()
    db_order = Order.objects.get(pk=order_id)
    assert order["number"] == db_order.number
    assert (order["offer"], order["buyer"], order["merchant"]) == (offer.pk, "buyer", "Tea House")
    assert (order["quantity"], order["unit_price"], order["total"], order["currency"]) == (2, "9.90", "19.80", "EUR")
    assert order["status"] == "pending_payment"
    assert same_time(order["created_at"], db_order.created_at)
    assert db_order.number in order["payment_instructions"]
    assert "19.80" in order["payment_instructions"]
    assert [(e["actor"], e["from_status"], e["to_status"]) for e in order["events"]] == [
        ("buyer", "", "pending_payment")
    ]

    with django_capture_on_commit_callbacks(execute=True):
        paid = seller.post(f"/orders/{order_id}/pay", {"reason": "Transfer received"})
    assert paid.status_code == 200, paid.content
    paid = paid.json()
    assert paid["status"] == "paid"
    assert paid["payment_instructions"] is None
    assert paid["events"][-1]["actor"] == "seller"
    assert paid["events"][-1]["reason"] == "Transfer received"
    parse_time(paid["events"][-1]["at"])
    assert Notification.objects.filter(recipient=buyer.user, kind="order_paid").count() == 1
    assert not Notification.objects.filter(recipient=shop.user, kind="order_paid").exists()

    shipped = seller.post(f"/orders/{order_id}/ship")  # no body at all
    assert shipped.status_code == 200, shipped.content
    completed = buyer.post(f"/orders/{order_id}/complete", {})
    assert completed.status_code == 200, completed.content

    for api in (buyer, seller):
        events = api.get(f"/orders/{order_id}").json()["events"]
        assert [(e["actor"], e["from_status"], e["to_status"]) for e in events] == [
            ("buyer", "", "pending_payment"),
            ("seller", "pending_payment", "paid"),
            ("seller", "paid", "shipped"),
            ("buyer", "shipped", "completed"),
        ]
    assert Order.objects.get(pk=order_id).status == Order.Status.COMPLETED


def test_unpaid_reservation_expires_and_its_units_go_back(buyer, visitor):
    offer = factories.offer("flash_sale", stock=2)
    order_id = claim_of(buyer, offer, 2)["order"]
    Order.objects.filter(pk=order_id).update(payment_due_at=timezone.now() - timedelta(seconds=1))
    schedule.sweep()  # what beat runs every few seconds

    order = buyer.get(f"/orders/{order_id}").json()
    assert order["status"] == "expired"
    assert order["payment_instructions"] is None
    assert [(e["actor"], e["from_status"], e["to_status"]) for e in order["events"]][-1] == (
        None,
        "pending_payment",
        "expired",
    )
    state = visitor.get(f"/offers/{offer.pk}").json()
    assert (state["status"], state["stock_left"]) == ("live", 2)
    with unchanged():
        error_of(buyer.post(f"/orders/{order_id}/cancel"), 409, "invalid_transition")


def test_group_buy_that_succeeds_gives_each_buyer_an_order(
    buyer, other_buyer, visitor, django_capture_on_commit_callbacks
):
    offer = factories.offer("group_buy")  # 10 units needed at 19.90
    mine = claim_of(buyer, offer, 8)
    claim_of(other_buyer, offer, 2)
    move(offer, ends_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        schedule.sweep()

    state = visitor.get(f"/offers/{offer.pk}").json()
    assert (state["status"], state["reached"], state["current_unit_price"], state["is_open"]) == (
        "succeeded",
        True,
        "19.90",
        False,
    )
    orders = buyer.get("/me/orders").json()["items"]
    assert [(o["quantity"], o["unit_price"], o["total"], o["status"]) for o in orders] == [
        (8, "19.90", "159.20", "pending_payment")
    ]
    assert orders[0]["events"][0]["actor"] is None
    claims = buyer.get("/me/claims").json()["items"]
    assert [(c["id"], c["status"], c["order"]) for c in claims] == [(mine["id"], "ordered", orders[0]["id"])]
    assert Notification.objects.filter(recipient=buyer.user, kind="offer_succeeded").count() == 1
    with unchanged():  # too late to withdraw now
        error_of(buyer.delete(f"/claims/{mine['id']}"), 409, "closed")


def test_group_buy_of_three_and_seven_at_19_90_closes(buyer, other_buyer, visitor):
    offer = factories.offer("group_buy")
    claim_of(buyer, offer, 3)
    claim_of(other_buyer, offer, 7)
    move(offer, ends_at=timezone.now() - timedelta(seconds=1))
    schedule.sweep()
    assert visitor.get(f"/offers/{offer.pk}").json()["status"] == "succeeded"
    assert [o["total"] for o in buyer.get("/me/orders").json()["items"]] == ["59.70"]


def test_buyer_may_not_mark_an_order_paid(buyer):
    offer = factories.offer("flash_sale")
    order_id = claim_of(buyer, offer, 1)["order"]
    with unchanged():
        error_of(buyer.post(f"/orders/{order_id}/pay"), 403, "forbidden")
        error_of(buyer.post(f"/orders/{order_id}/ship"), 409, "invalid_transition")


def test_completed_order_cannot_be_cancelled(seller, shop, buyer):
    offer = factories.offer("flash_sale", merchant_=shop)
    order_id = claim_of(buyer, offer, 1)["order"]
    for api, action in ((seller, "pay"), (seller, "ship"), (buyer, "complete")):
        assert api.post(f"/orders/{order_id}/{action}").status_code == 200
    with unchanged():
        error_of(seller.post(f"/orders/{order_id}/cancel", {"reason": "Oops"}), 409, "invalid_transition")
        error_of(buyer.post(f"/orders/{order_id}/cancel"), 409, "invalid_transition")


def test_the_same_transition_twice_changes_nothing(seller, shop, buyer):
    offer = factories.offer("flash_sale", merchant_=shop)
    order_id = claim_of(buyer, offer, 1)["order"]
    assert seller.post(f"/orders/{order_id}/pay").status_code == 200
    with unchanged():
        again = seller.post(f"/orders/{order_id}/pay")
    assert again.status_code == 200
    assert len(again.json()["events"]) == 2


def test_buyer_cancels_a_reservation_and_the_units_go_back_on_sale(buyer):
    offer = factories.offer("flash_sale", stock=2)
    claim = claim_of(buyer, offer, 2)
    assert Api().get(f"/offers/{offer.pk}").json()["status"] == "sold_out"

    response = buyer.post(f"/orders/{claim['order']}/cancel", {"reason": "Changed my mind"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    state = Api().get(f"/offers/{offer.pk}").json()
    assert (state["status"], state["stock_left"], state["is_open"]) == ("live", 2, True)
    claims = buyer.get("/me/claims").json()["items"]
    assert [(c["id"], c["status"], c["order"]) for c in claims] == [(claim["id"], "cancelled", claim["order"])]


def test_someone_elses_order_is_404_and_reveals_nothing(buyer, other_buyer):
    offer = factories.offer("flash_sale")
    order_id = claim_of(buyer, offer, 1)["order"]
    number = Order.objects.get(pk=order_id).number
    rival_merchant = Api(factories.merchant().user)
    for api in (other_buyer, rival_merchant):
        with unchanged():
            seen = api.get(f"/orders/{order_id}")
            missing = api.get("/orders/987654")
            cancel = api.post(f"/orders/{order_id}/cancel", {"reason": "hah"})
            pay = api.post(f"/orders/{order_id}/pay")
        for response in (seen, cancel, pay):
            error_of(response, 404, "not_found")
            assert response.json() == missing.json()
            assert number not in response.content.decode()
    error_of(Api().get(f"/orders/{order_id}"), 401, "not_authenticated")


def test_staff_see_and_move_any_order(buyer):
    offer = factories.offer("flash_sale")
    order_id = claim_of(buyer, offer, 1)["order"]
    staff = Api(factories.staff())
    assert staff.get(f"/orders/{order_id}").status_code == 200
    response = staff.post(f"/orders/{order_id}/pay", {"reason": "Checked the bank statement"})
    assert response.status_code == 200, response.content
    assert response.json()["events"][-1]["actor"] == staff.username


def test_unknown_order_action_is_404(seller, shop, buyer):
    offer = factories.offer("flash_sale", merchant_=shop)
    order_id = claim_of(buyer, offer, 1)["order"]
    with unchanged():
        error_of(seller.post(f"/orders/{order_id}/teleport"), 404, "not_found")


def test_my_orders_and_claims_are_only_my_own(buyer, other_buyer):
    flash = factories.offer("flash_sale")
    group = factories.offer("group_buy")
    mine = [claim_of(buyer, flash, 1), claim_of(buyer, group, 2)]
    theirs = claim_of(other_buyer, flash, 1)

    claims = buyer.get("/me/claims").json()
    assert claims["count"] == 2
    assert [c["id"] for c in claims["items"]] == [mine[1]["id"], mine[0]["id"]]  # newest first
    orders = buyer.get("/me/orders").json()
    assert orders["count"] == 1
    assert [o["id"] for o in orders["items"]] == [mine[0]["order"]]
    assert orders["items"][0]["events"][0]["to_status"] == "pending_payment"
    assert theirs["order"] not in [o["id"] for o in orders["items"]]
    assert [o["id"] for o in other_buyer.get("/me/orders").json()["items"]] == [theirs["order"]]
    error_of(Api().get("/me/orders"), 401, "not_authenticated")
    error_of(Api().get("/me/claims"), 401, "not_authenticated")


def test_my_claims_are_paged_and_filtered(buyer):
    offers = [factories.offer("group_buy") for _ in range(3)]
    ids = [claim_of(buyer, o, 1)["id"] for o in offers]
    first = buyer.get("/me/claims", per_page=2).json()
    second = buyer.get("/me/claims", per_page=2, page=2).json()
    assert first["count"] == second["count"] == 3
    assert [c["id"] for c in first["items"]] == [ids[2], ids[1]]
    assert [c["id"] for c in second["items"]] == [ids[0]]
    assert [c["id"] for c in buyer.get("/me/claims", offer=offers[1].pk).json()["items"]] == [ids[1]]
    assert buyer.get("/me/claims", status="withdrawn").json()["count"] == 0
    error_of(buyer.get("/me/claims", status="nope"), 400, "invalid")


def test_merchant_lists_the_orders_of_their_shop(seller, shop, buyer, other_buyer):
    mine = factories.offer("flash_sale", merchant_=shop)
    elsewhere = factories.offer("flash_sale")
    first = claim_of(buyer, mine, 1)["order"]
    second = claim_of(other_buyer, mine, 2)["order"]
    claim_of(buyer, elsewhere, 1)
    assert seller.post(f"/orders/{first}/pay").status_code == 200

    everything = seller.get("/merchant/orders").json()
    assert everything["count"] == 2
    assert [o["id"] for o in everything["items"]] == [second, first]
    assert {o["buyer"] for o in everything["items"]} == {"buyer", "otherbuyer"}
    paid = seller.get("/merchant/orders", status="paid").json()
    assert [o["id"] for o in paid["items"]] == [first]
    error_of(seller.get("/merchant/orders", status="lost"), 400, "invalid")


@pytest.mark.parametrize("status", [None, "pending", "suspended"])
def test_merchant_orders_need_a_verified_merchant(status):
    member = factories.user()
    if status:
        factories.merchant(member, status=status)
    error_of(Api(member).get("/merchant/orders"), 403, "not_merchant")


# --- Reading offers: live state ---------------------------------------------------------------------------


def test_group_buy_live_state_follows_the_tiers(buyer, other_buyer):
    offer = factories.offer(
        "group_buy",
        terms={
            "unit_price": "19.90",
            "min_quantity": 10,
            "tiers": [{"min_quantity": 30, "unit_price": "17.90"}, {"min_quantity": 50, "unit_price": "15.90"}],
        },
    )
    url = f"/offers/{offer.pk}"
    state = Api().get(url).json()
    assert (state["min_quantity"], state["reached"], state["current_tier"], state["stock_left"]) == (
        10,
        False,
        None,
        None,
    )
    assert state["next_tier"] == {"min_quantity": 30, "unit_price": "17.90"}
    assert state["current_unit_price"] == "19.90"

    claim_of(buyer, offer, 10)
    state = Api().get(url).json()
    assert (state["reached"], state["quantity_claimed"], state["buyers"]) == (True, 10, 1)
    assert state["current_tier"] is None

    claim_of(other_buyer, offer, 25)
    state = Api().get(url).json()
    assert state["current_tier"] == {"min_quantity": 30, "unit_price": "17.90"}
    assert state["next_tier"] == {"min_quantity": 50, "unit_price": "15.90"}
    assert (state["current_unit_price"], state["quantity_claimed"], state["buyers"]) == ("17.90", 35, 2)


def test_dutch_auction_live_state_shows_the_next_price(visitor):
    starts = timezone.now() - timedelta(seconds=90)  # one step of 60 s taken
    offer = factories.offer("dutch_auction", starts_at=starts, stock=4)
    state = visitor.get(f"/offers/{offer.pk}").json()
    assert (state["current_unit_price"], state["next_price"]) == ("95.00", "90.00")
    assert same_time(state["next_price_at"], offer.starts_at + timedelta(seconds=120))
    assert (state["stock"], state["stock_left"]) == (4, 4)
    assert not GROUP_ONLY & set(state)

    move(offer, starts_at=timezone.now() - timedelta(minutes=30))  # well past the floor
    state = visitor.get(f"/offers/{offer.pk}").json()
    assert (state["current_unit_price"], state["next_price"], state["next_price_at"]) == ("40.00", None, None)


def test_flash_sale_live_state_counts_stock_left(buyer, other_buyer, visitor):
    offer = factories.offer("flash_sale", stock=10)
    claim_of(buyer, offer, 4)
    claim_of(other_buyer, offer, 2)
    state = visitor.get(f"/offers/{offer.pk}").json()
    assert (state["stock"], state["stock_left"], state["quantity_claimed"], state["buyers"]) == (10, 4, 6, 2)
    assert not (GROUP_ONLY | DUTCH_ONLY) & set(state)


def test_scheduled_offer_reads_as_scheduled_and_opens_by_the_clock(visitor):
    offer = factories.offer("flash_sale", starts_at=timezone.now() + timedelta(minutes=5))
    assert visitor.get(f"/offers/{offer.pk}").json()["status"] == "scheduled"
    move(offer, starts_at=timezone.now() - timedelta(seconds=1))  # the sweeper has not run yet
    state = visitor.get(f"/offers/{offer.pk}").json()
    assert (state["status"], state["is_open"]) == ("live", True)


def test_missing_offer_is_404(visitor):
    error_of(visitor.get("/offers/987654"), 404, "not_found")


def test_offers_are_listed_and_filtered(visitor, shop, shop_thread):
    flash = factories.offer("flash_sale", merchant_=shop, thread_=shop_thread)
    group = factories.offer("group_buy", merchant_=shop, thread_=shop_thread)
    elsewhere = factories.offer("dutch_auction")
    later = factories.offer("flash_sale", starts_at=timezone.now() + timedelta(days=1))

    everything = visitor.get("/offers").json()
    assert everything["count"] == 4
    assert [o["id"] for o in everything["items"]] == [later.pk, elsewhere.pk, group.pk, flash.pk]
    in_thread = visitor.get("/offers", thread=shop_thread.pk).json()
    assert [o["id"] for o in in_thread["items"]] == [group.pk, flash.pk]
    assert [o["id"] for o in visitor.get("/offers", kind="flash_sale").json()["items"]] == [later.pk, flash.pk]
    assert [o["id"] for o in visitor.get("/offers", status="scheduled").json()["items"]] == [later.pk]
    assert visitor.get("/offers", thread=shop_thread.pk, kind="dutch_auction").json() == {"items": [], "count": 0}
    paged = visitor.get("/offers", per_page=3, page=2).json()
    assert (paged["count"], [o["id"] for o in paged["items"]]) == (4, [flash.pk])
    # the thread API lists the same offers
    assert Api().client.get(f"{API}/threads/{shop_thread.pk}").json()["offers"] == [flash.pk, group.pk]


@pytest.mark.parametrize("query", [{"status": "open"}, {"kind": "raffle"}, {"thread": "tea"}, {"page": "x"}])
def test_offer_list_with_a_bad_filter_is_400(visitor, query):
    error_of(visitor.get("/offers", **query), 400, "invalid")


def test_offer_list_takes_the_same_queries_for_one_offer_or_many(visitor):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = visitor.get("/offers")
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    buyers = [Api(factories.user()) for _ in range(2)]
    first = factories.offer("group_buy")
    claim_of(buyers[0], first, 1)
    one, count = queries()
    assert count == 1
    for kind in ("flash_sale", "dutch_auction", "group_buy", "flash_sale", "dutch_auction"):
        offer = factories.offer(kind)
        for api in buyers:
            claim_of(api, offer, 1)
    many, count = queries()
    assert count == 6
    assert many == one


def test_orders_list_takes_the_same_queries_for_one_order_or_many(buyer):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = buyer.get("/me/orders")
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    claim_of(buyer, factories.offer("flash_sale"), 1)
    one, _count = queries()
    for _ in range(4):
        claim_of(buyer, factories.offer("dutch_auction"), 1)
    many, count = queries()
    assert (many, count) == (one, 5)


def test_the_openapi_schema_has_the_commerce_endpoints(visitor):
    paths = visitor.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/offers",
        "/api/v1/offers/{offer_id}",
        "/api/v1/offers/{offer_id}/claims",
        "/api/v1/claims/{claim_id}",
        "/api/v1/me/orders",
        "/api/v1/orders/{order_id}/{action}",
        "/api/v1/merchant/orders",
    ):
        assert path in paths, path
    claim_in = visitor.get("/openapi.json").json()["components"]["schemas"]["ClaimIn"]["properties"]
    assert "unit_price" not in claim_in  # prices come from the server


# --- Reminders --------------------------------------------------------------------------------------------


def test_member_asks_to_be_reminded_of_a_scheduled_offer(buyer):
    offer = factories.offer("flash_sale", starts_at=timezone.now() + timedelta(hours=1))
    first = buyer.post(f"/offers/{offer.pk}/remind")
    assert first.status_code == 201, first.content
    assert first.json() == {"offer": offer.pk, "created": True}
    with unchanged():
        again = buyer.post(f"/offers/{offer.pk}/remind")
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert OfferReminder.objects.filter(offer=offer, user=buyer.user).count() == 1


def test_reminder_for_an_open_offer_is_409(buyer):
    offer = factories.offer("flash_sale")
    with unchanged():
        error_of(buyer.post(f"/offers/{offer.pk}/remind"), 409, "already_open")
