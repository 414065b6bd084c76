"""The API under hostile input (issue 8): what an outside fuzzer found, each answered
with a stable 4xx ``{"code", "message", "fields"?}`` that changes nothing, and the
OpenAPI schema that says so.
"""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from community_commerce.models import Claim, Offer
from forum.models import Post, Thread
from tests import factories
from tests.api.test_commerce_api import API, Api, error_of, offer_body, unchanged

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # beyond a 64-bit integer: SQLite and PostgreSQL refuse it


@pytest.fixture
def shop():
    return factories.merchant(factories.user("seller"), display_name="Tea House")


@pytest.fixture
def shop_thread(shop):
    deals = factories.category("Deals", slug="deals", commerce_enabled=True)
    return factories.commerce_thread(shop, category_=deals, title="Tea deals")


@pytest.fixture
def seller(shop):
    return Api(shop.user)


@pytest.fixture
def buyer():
    return Api(factories.user("buyer"))


def forum_rows():
    return Thread.objects.count(), Post.objects.count()


# --- 1. Integers out of range ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/threads?page={HUGE}", "page"),
        (f"/threads?page=-{HUGE}", "page"),
        (f"/threads/{HUGE}", "thread_id"),
        (f"/threads/{{thread}}/posts?page={HUGE}", "page"),
        (f"/threads/{HUGE}/posts", "thread_id"),
        (f"/offers?page={HUGE}", "page"),
        (f"/offers?per_page={HUGE}", "per_page"),
        (f"/offers?thread=-{HUGE}", "thread"),
        (f"/offers?thread={HUGE}", "thread"),
        (f"/offers/{HUGE}", "offer_id"),
        (f"/me/claims?page={HUGE}", "page"),
        (f"/me/claims?offer={HUGE}", "offer"),
        (f"/me/claims?per_page=-{HUGE}", "per_page"),
        (f"/me/orders?page={HUGE}", "page"),
        (f"/merchant/orders?page={HUGE}", "page"),
        (f"/orders/{HUGE}", "order_id"),
    ],
)
def test_integer_out_of_range_in_a_query_or_path_is_400(seller, shop_thread, path, field):
    response = seller.client.get(API + path.replace("{thread}", str(shop_thread.pk)))
    body = error_of(response, 400, "invalid")
    assert list(body["fields"]) == [field], body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", f"/offers/{HUGE}/claims"),
        ("post", f"/offers/{HUGE}/cancel"),
        ("post", f"/offers/{HUGE}/remind"),
        ("patch", f"/offers/{HUGE}"),
        ("delete", f"/claims/{HUGE}"),
        ("post", f"/orders/{HUGE}/pay"),
        ("post", f"/threads/{HUGE}/posts"),
    ],
)
def test_write_to_an_id_out_of_range_is_400_and_changes_nothing(buyer, method, path):
    body = json.dumps({"quantity": 1, "body": "hello", "reason": "why"})
    with unchanged():
        response = getattr(buyer.client, method)(API + path, body, content_type="application/json")
        error_of(response, 400, "invalid")


def test_offer_in_a_thread_out_of_range_is_400(seller, shop_thread):
    with unchanged():
        offer = {**offer_body("flash_sale", shop_thread), "thread": int(HUGE)}
        body = error_of(seller.post("/offers", offer), 400, "invalid")
    assert list(body["fields"]) == ["thread"]


def test_thread_in_a_category_id_out_of_range_is_400(buyer):
    before = forum_rows()
    response = buyer.post("/threads", {"category": int(HUGE), "title": "Hello there", "body": "x"})
    body = error_of(response, 400, "invalid")
    assert list(body["fields"]) == ["category"]
    assert forum_rows() == before


def test_too_many_query_parameters_is_a_json_400(client, settings):
    query = "&".join(f"p{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    error_of(client.get(f"{API}/offers?{query}"), 400, "invalid")


# --- NUL characters (PostgreSQL cannot store them) ---------------------------------------------------


def test_null_characters_in_a_body_are_400_naming_each_field(seller, shop_thread):
    offer = offer_body("flash_sale", shop_thread, title="Tea\x00time", terms={"unit_price": "9.90\x00"})
    with unchanged():
        body = error_of(seller.post("/offers", offer), 400, "invalid")
    assert sorted(body["fields"]) == ["terms.unit_price", "title"]


def test_null_characters_in_a_thread_or_reply_are_400(buyer):
    thread = factories.thread(category_=factories.category("Talk", slug="talk"))
    before = forum_rows()
    body = error_of(buyer.post("/threads", {"category": "talk", "title": "Hi\x00", "body": "x"}), 400, "invalid")
    assert list(body["fields"]) == ["title"]
    body = error_of(buyer.post(f"/threads/{thread.pk}/posts", {"body": "a\x00b"}), 400, "invalid")
    assert list(body["fields"]) == ["body"]
    assert forum_rows() == before


def test_null_characters_in_a_query_are_400(client):
    body = error_of(client.get(f"{API}/threads?category=deals%00"), 400, "invalid")
    assert list(body["fields"]) == ["category"]


# --- 2. Bodies over the size limit ------------------------------------------------------------------


def big_body(settings, **fields):
    return json.dumps({**fields, "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})


def test_claim_body_over_the_limit_is_413(settings, buyer):
    offer = factories.offer("flash_sale")
    with unchanged():
        response = buyer.client.post(
            f"{API}/offers/{offer.pk}/claims", big_body(settings, quantity=1), content_type="application/json"
        )
        error_of(response, 413, "payload_too_large")


def test_offer_body_over_the_limit_is_413(settings, seller, shop_thread):
    with unchanged():
        body = big_body(settings, **offer_body("flash_sale", shop_thread))
        error_of(seller.client.post(f"{API}/offers", body, content_type="application/json"), 413, "payload_too_large")


def test_thread_body_over_the_limit_is_413(settings, buyer):
    before = forum_rows()
    body = big_body(settings, category="deals", title="Big", body="x")
    error_of(buyer.client.post(f"{API}/threads", body, content_type="application/json"), 413, "payload_too_large")
    assert forum_rows() == before


# --- 3. Dates at the edge of the calendar -----------------------------------------------------------

EDGE_DATES = [
    pytest.param("starts_at", "0001-01-01T00:00:00+14:00", id="year_1_east"),
    pytest.param("ends_at", "9999-12-31T23:00:00-12:00", id="year_9999_west"),
]


@pytest.mark.parametrize(("field", "value"), EDGE_DATES)
def test_offer_with_a_date_off_the_calendar_is_400_with_the_field(seller, shop_thread, field, value):
    with unchanged():
        body = error_of(seller.post("/offers", offer_body("flash_sale", shop_thread, **{field: value})), 400, "invalid")
    assert field in body["fields"], body


@pytest.mark.parametrize(("field", "value"), EDGE_DATES)
def test_offer_edit_with_a_date_off_the_calendar_is_400_with_the_field(seller, shop, field, value):
    offer = factories.offer("flash_sale", merchant_=shop)
    with unchanged():
        body = error_of(seller.patch(f"/offers/{offer.pk}", {field: value}), 400, "invalid")
    assert field in body["fields"], body


# --- 5. Content types ----------------------------------------------------------------------------------


def send(api, method, path, body, content_type):
    """``content_type=None``: the request carries a body but no Content-Type header."""
    client = api.client
    if content_type is None:
        return client.generic(method.upper(), API + path, body, content_type="")
    return client.generic(method.upper(), API + path, body, content_type=content_type)


WRONG_TYPES = ["text/plain", "application/xml", "application/x-www-form-urlencoded", None]


@pytest.mark.parametrize("content_type", WRONG_TYPES)
def test_claim_with_a_body_that_is_not_json_is_415(buyer, content_type):
    offer = factories.offer("flash_sale")
    with unchanged():
        response = send(buyer, "post", f"/offers/{offer.pk}/claims", json.dumps({"quantity": 1}), content_type)
        error_of(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("content_type", WRONG_TYPES)
def test_offer_create_and_edit_with_a_body_that_is_not_json_is_415(seller, shop, shop_thread, content_type):
    offer = factories.offer("flash_sale", merchant_=shop, thread_=shop_thread)
    with unchanged():
        body = json.dumps(offer_body("flash_sale", shop_thread))
        error_of(send(seller, "post", "/offers", body, content_type), 415, "unsupported_media_type")
        patch = json.dumps({"title": "Renamed offer"})
        error_of(send(seller, "patch", f"/offers/{offer.pk}", patch, content_type), 415, "unsupported_media_type")
        reason = json.dumps({"reason": "Out of tea"})
        error_of(
            send(seller, "post", f"/offers/{offer.pk}/cancel", reason, content_type), 415, "unsupported_media_type"
        )


@pytest.mark.parametrize("content_type", WRONG_TYPES)
def test_thread_and_reply_with_a_body_that_is_not_json_is_415(buyer, content_type):
    thread = factories.thread(category_=factories.category("Talk", slug="talk"))
    before = forum_rows()
    body = json.dumps({"category": "talk", "title": "Hello there", "body": "x"})
    error_of(send(buyer, "post", "/threads", body, content_type), 415, "unsupported_media_type")
    reply = json.dumps({"body": "me too"})
    error_of(send(buyer, "post", f"/threads/{thread.pk}/posts", reply, content_type), 415, "unsupported_media_type")
    assert forum_rows() == before


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/merge-patch+json"])
def test_json_with_parameters_or_a_json_suffix_is_accepted(buyer, content_type):
    offer = factories.offer("flash_sale")
    response = send(buyer, "post", f"/offers/{offer.pk}/claims", json.dumps({"quantity": 2}), content_type)
    assert response.status_code == 201, response.content
    assert Claim.objects.get().quantity == 2


def test_bodiless_posts_still_work_without_a_content_type(buyer, seller, shop):
    scheduled = factories.offer("flash_sale", merchant_=shop, starts_at=timezone.now() + timedelta(hours=1))
    response = buyer.client.generic("POST", f"{API}/offers/{scheduled.pk}/remind", content_type="")
    assert response.status_code == 201, response.content
    live = factories.offer("flash_sale", merchant_=shop)
    order = buyer.post(f"/offers/{live.pk}/claims", {"quantity": 1}).json()["order"]
    response = seller.client.generic("POST", f"{API}/orders/{order}/pay", content_type="")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "paid"


# --- 7. Authentication before CSRF -------------------------------------------------------------------


def test_anonymous_write_without_a_session_is_401_not_a_csrf_failure(shop_thread):
    offer = factories.offer("flash_sale")
    client = Client(enforce_csrf_checks=True)
    with unchanged():
        for path, body in [
            ("/offers", offer_body("flash_sale", shop_thread)),
            (f"/offers/{offer.pk}/claims", {"quantity": 1}),
            (f"/offers/{offer.pk}/cancel", {"reason": "x"}),
            (f"/offers/{offer.pk}/remind", None),
        ]:
            response = client.post(API + path, json.dumps(body) if body else "", content_type="application/json")
            error_of(response, 401, "not_authenticated")
    before = forum_rows()
    response = client.post(API + "/threads", json.dumps({"title": "x"}), content_type="application/json")
    error_of(response, 401, "not_authenticated")
    error_of(client.delete(f"{API}/claims/1"), 401, "not_authenticated")
    assert forum_rows() == before


def test_logged_in_cookie_without_the_csrf_token_is_403_csrf_failed():
    offer = factories.offer("flash_sale")
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.user("buyer"))
    with unchanged():
        response = client.post(f"{API}/offers/{offer.pk}/claims", '{"quantity": 1}', content_type="application/json")
        error_of(response, 403, "csrf_failed")


def test_logged_in_cookie_with_the_csrf_token_claims():
    offer = factories.offer("flash_sale")
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.user("buyer"))
    client.get("/")  # the page sets the CSRF cookie, as a browser would get it
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"{API}/offers/{offer.pk}/claims",
        '{"quantity": 1}',
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201, response.content


# --- Addresses the API does not have ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/offers/1/nothing", "/nothing", "/threads/1/posts/2", "/orders/1/pay/now"])
def test_unknown_api_address_is_a_json_404(client, path):
    error_of(client.get(API + path), 404, "not_found")
    error_of(client.post(API + path, "{}", content_type="application/json"), 404, "not_found")


# --- 12. Truthful messages -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [None, "pending"])
def test_merchant_orders_for_a_non_merchant_say_what_was_refused(status):
    member = factories.user()
    if status:
        factories.merchant(member, status=status)
    body = error_of(Api(member).get("/merchant/orders"), 403, "not_merchant")
    assert "post offers" not in body["message"]
    assert "orders" in body["message"]


def test_editing_an_offer_as_a_suspended_merchant_says_editing(shop):
    offer = factories.offer("flash_sale", merchant_=shop)
    seller = Api(shop.user)
    shop.status = "suspended"
    shop.save()
    with unchanged():
        body = error_of(seller.patch(f"/offers/{offer.pk}", {"title": "New title"}), 403, "not_merchant")
    assert "edit" in body["message"]


# --- The OpenAPI schema --------------------------------------------------------------------------------


@pytest.fixture
def openapi(client):
    return client.get(f"{API}/openapi.json").json()


def responses_of(schema, method, path):
    return schema["paths"][f"{API}{path}"][method]["responses"]


def not_null(schema):
    """The schema of an optional parameter without its ``null`` alternative."""
    return next(s for s in schema.get("anyOf", [schema]) if s.get("type") != "null")


def error_ref(schema, response):
    ref = response["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("get", "/offers", {400}),
        ("get", "/offers/{offer_id}", {400, 404}),
        ("post", "/offers", {400, 401, 403, 404, 409, 413, 415}),  # 409: merchant_limit
        ("patch", "/offers/{offer_id}", {400, 401, 403, 404, 409, 413, 415}),
        ("post", "/offers/{offer_id}/claims", {400, 401, 403, 404, 409, 413, 415}),
        ("post", "/offers/{offer_id}/remind", {400, 401, 403, 404, 409}),
        ("delete", "/claims/{claim_id}", {400, 401, 403, 404, 409}),
        ("get", "/me/claims", {400, 401}),
        ("get", "/merchant/orders", {400, 401, 403}),
        ("post", "/orders/{order_id}/{action}", {400, 401, 403, 404, 409, 413, 415}),
        ("get", "/threads", {400}),
        ("get", "/threads/{thread_id}", {400, 404}),
        ("post", "/threads", {400, 401, 403, 413, 415, 429}),
        ("post", "/threads/{thread_id}/posts", {400, 401, 403, 404, 413, 415, 429}),
    ],
)
def test_openapi_documents_each_error_with_the_error_body(openapi, method, path, statuses):
    responses = responses_of(openapi, method, path)
    assert {int(s) for s in responses if s.startswith("4")} == statuses
    for status in statuses:
        error = error_ref(openapi, responses[str(status)])
        assert set(error["required"]) == {"code", "message"}
        assert set(error["properties"]) == {"code", "message", "fields"}


def test_openapi_declares_required_fields_enums_and_non_empty_strings(openapi):
    schemas = openapi["components"]["schemas"]
    offer_in = schemas["OfferIn"]
    assert {"kind", "thread", "title", "currency", "starts_at", "ends_at", "terms"} <= set(offer_in["required"])
    assert offer_in["properties"]["kind"]["enum"] == [
        "group_buy",
        "flash_sale",
        "dutch_auction",
        "team_buy",
        "lowest_unique",
    ]
    assert offer_in["properties"]["title"]["minLength"] == 1
    assert schemas["ThreadIn"]["properties"]["title"]["minLength"] == 1
    assert schemas["PostIn"]["properties"]["body"]["minLength"] == 1
    assert set(schemas["OfferOut"]["properties"]["status"]["enum"]) == set(Offer.Status.values)
    assert set(schemas["OfferOut"]["properties"]["kind"]["enum"]) == set(Offer.Kind.values)
    assert set(schemas["ClaimOut"]["properties"]["status"]["enum"]) == set(Claim.Status.values)
    assert "paid" in schemas["OrderOut"]["properties"]["status"]["enum"]
    params = {p["name"]: p for p in openapi["paths"][f"{API}/offers"]["get"]["parameters"]}
    assert set(not_null(params["status"]["schema"])["enum"]) == set(Offer.Status.values)
    assert params["page"]["schema"]["minimum"] == 1
    assert params["per_page"]["schema"]["maximum"] == 100
    assert not_null(params["thread"]["schema"])["maximum"] == 2**63 - 1
    action = next(
        p
        for p in openapi["paths"][f"{API}/orders/{{order_id}}/{{action}}"]["post"]["parameters"]
        if p["name"] == "action"
    )
    assert action["schema"]["enum"] == ["pay", "ship", "complete", "cancel"]


def test_quantity_stays_loose_so_the_service_answers_its_own_code(buyer):
    offer = factories.offer("flash_sale")
    with unchanged():
        error_of(buyer.post(f"/offers/{offer.pk}/claims", {"quantity": "abc"}), 400, "invalid_quantity")
