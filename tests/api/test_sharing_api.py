"""Share links and coupons through the JSON API (shared/API.md, "Sharing, channels and coupons").
Every refused request is checked to change nothing: no stock, no use."""

import pytest
from django.test import Client

from community_commerce.models import Coupon, CouponGrant, CouponUse, Offer, Order
from community_commerce.services import links
from tests import factories
from tests.api.test_commerce_api import Api, error_of, unchanged

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture
def shop():
    return factories.merchant(factories.user("seller"), display_name="Tea House")


@pytest.fixture
def flash(shop):
    return factories.offer("flash_sale", merchant_=shop, stock=20, per_user_limit=5, title="Sencha")


@pytest.fixture
def seller(shop):
    return Api(shop.user)


@pytest.fixture
def buyer():
    return Api(factories.user("buyer"))


def coupon_state():
    return (
        list(Coupon.objects.order_by("id").values_list("id", "uses", "handed_out")),
        CouponUse.objects.count(),
        CouponGrant.objects.count(),
    )


# --- Links -----------------------------------------------------------------------------------------------


def test_a_member_gets_a_link_and_the_same_one_again(flash, buyer):
    first = buyer.post("/links", {"offer": flash.pk})
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["url"] == f"http://testserver/r/{body['code']}"
    assert body["channel"] == "forum" and body["kind"] == "referral"
    assert body["target"] == {
        "offer": flash.pk,
        "thread": flash.thread_id,
        "url": f"http://testserver{flash.get_absolute_url()}",
    }
    again = buyer.post("/links", {"offer": flash.pk})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    thread_link = buyer.post("/links", {"thread": flash.thread_id})
    assert thread_link.status_code == 201 and thread_link.json()["target"]["offer"] is None


def test_link_errors(flash, buyer, seller):
    error_of(buyer.post("/links", {}), 400, "invalid")
    error_of(buyer.post("/links", {"offer": flash.pk, "thread": flash.thread_id}), 400, "invalid")
    error_of(buyer.post("/links", {"offer": 10**9}), 404, "not_found")
    error_of(buyer.post("/links", {"offer": flash.pk, "channel": "poster"}), 403, "not_merchant")
    error_of(seller.post("/links", {"offer": flash.pk, "channel": "Big Poster"}), 400, "invalid_channel")
    error_of(Api().post("/links", {"offer": flash.pk}), 401, "not_authenticated")
    assert seller.post("/links", {"offer": flash.pk, "channel": "poster"}).json()["kind"] == "campaign"


def test_my_links_count_what_each_link_brought(flash, buyer, seller):
    code = seller.post("/links", {"offer": flash.pk, "channel": "poster"}).json()["code"]
    visitor = Client(HTTP_USER_AGENT=BROWSER)
    visitor.get(f"/r/{code}")
    visitor.get(f"/r/{code}")
    Client(HTTP_USER_AGENT=BROWSER).get(f"/r/{code}")
    links.flush_visits()
    claimed = Api(factories.user("fan"))
    body = claimed.post(f"/offers/{flash.pk}/claims", {"quantity": 2, "ref": code}).json()
    assert body["channel"] == "poster"
    seller.post(f"/orders/{body['order']}/pay")
    [row] = seller.get("/me/links").json()["items"]
    assert {k: row[k] for k in ("visits", "visitors", "signups", "claims", "paid_orders", "revenue")} == {
        "visits": 3, "visitors": 2, "signups": 0, "claims": 1, "paid_orders": 1,
        "revenue": [{"currency": "EUR", "amount": "19.80"}],
    }  # fmt: skip
    assert buyer.get("/me/links").json() == {"items": [], "count": 0}


# --- Coupons ---------------------------------------------------------------------------------------------


def test_the_merchant_creates_coupons_and_members_see_the_valid_ones(flash, seller, buyer):
    created = seller.post(f"/offers/{flash.pk}/coupons", {"code": "tea 10", "discount_type": "percent", "value": "10"})
    assert created.status_code == 201, created.content
    assert created.json() | {"id": 0, "created_at": None} == {
        "id": 0, "offer": flash.pk, "code": "TEA10", "discount_type": "percent", "value": "10", "currency": "EUR",
        "max_uses": None, "uses": 0, "handout": False, "handed_out": 0, "left": None, "min_quantity": 1,
        "starts_at": None, "ends_at": None, "channel": "", "created_at": None,
    }  # fmt: skip
    handout = seller.post(
        f"/offers/{flash.pk}/coupons", {"discount_type": "amount", "value": 1, "max_uses": 3, "handout": True}
    )
    assert handout.status_code == 201 and handout.json()["left"] == 3
    assert [c["code"] for c in seller.get(f"/offers/{flash.pk}/coupons").json()["items"]] == [
        "TEA10", handout.json()["code"],
    ]  # fmt: skip
    assert [c["code"] for c in buyer.get(f"/offers/{flash.pk}/coupons").json()["items"]] == ["TEA10", None]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"discount_type": "percent", "value": "150"}, 400, "invalid_coupon"),
        ({"discount_type": "amount", "value": "99"}, 400, "invalid_coupon"),
        ({"discount_type": "amount", "value": "abc"}, 400, "invalid_coupon"),
        ({"discount_type": "nope", "value": "1"}, 400, "invalid"),
        ({"discount_type": "amount", "value": "1", "handout": True}, 400, "invalid_coupon"),
    ],
)
def test_bad_coupons_are_refused(flash, seller, body, status, code):
    with unchanged():
        error_of(seller.post(f"/offers/{flash.pk}/coupons", body), status, code)
    assert not Coupon.objects.exists()


def test_only_the_merchant_creates_coupons(flash, buyer):
    error_of(buyer.post(f"/offers/{flash.pk}/coupons", {"discount_type": "amount", "value": "1"}), 403, "forbidden")


def test_three_dropped_two_taken_the_third_finds_them_gone(flash, seller):
    coupon_id = seller.post(
        f"/offers/{flash.pk}/coupons", {"discount_type": "amount", "value": "2", "max_uses": 2, "handout": True}
    ).json()["id"]
    ann, ben, cat = (Api(factories.user(name)) for name in ("ann", "ben", "cat"))
    taken = ann.post(f"/coupons/{coupon_id}/take")
    assert taken.status_code == 201 and taken.json()["coupon"] == coupon_id
    assert ann.post(f"/coupons/{coupon_id}/take").status_code == 200
    assert ben.post(f"/coupons/{coupon_id}/take").status_code == 201
    before = coupon_state()
    error_of(cat.post(f"/coupons/{coupon_id}/take"), 409, "coupons_gone")
    assert coupon_state() == before
    assert [g["code"] for g in ann.get("/me/coupons").json()["items"]] == [taken.json()["code"]]
    assert cat.get("/me/coupons").json()["count"] == 0
    error_of(cat.post("/coupons/999999/take"), 404, "not_found")


def test_a_claim_with_a_coupon_shows_unit_price_discount_total_and_channel(flash, seller, buyer):
    seller.post(
        f"/offers/{flash.pk}/coupons",
        {"code": "LEAF", "discount_type": "amount", "value": "1.50", "channel": "newsletter"},
    )
    response = buyer.post(f"/offers/{flash.pk}/claims", {"quantity": 2, "coupon": " leaf "})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["unit_price"], body["discount"], body["total"], body["channel"], body["coupon"]) == (
        "9.90", "3.00", "16.80", "newsletter", "LEAF",
    )  # fmt: skip
    order = buyer.get(f"/orders/{body['order']}").json()
    assert (order["unit_price"], order["discount"], order["total"], order["channel"], order["coupon"]) == (
        "9.90", "3.00", "16.80", "newsletter", "LEAF",
    )  # fmt: skip
    assert buyer.get("/me/claims").json()["items"][0]["coupon"] == "LEAF"
    assert seller.get("/merchant/orders").json()["items"][0]["discount"] == "3.00"


@pytest.mark.parametrize(
    ("coupon", "status", "code"),
    [("NOPE", 400, "invalid_coupon"), ("OTHER", 409, "coupon_not_applicable"), ("USED", 409, "coupon_used"),
     ("GONE", 409, "coupons_gone")],
)  # fmt: skip
def test_a_refused_coupon_changes_nothing(flash, shop, seller, buyer, coupon, status, code):
    other = factories.offer("flash_sale", merchant_=shop, stock=5)
    Coupon.objects.create(offer=other, code="OTHER", discount_type="amount", value=1)
    Coupon.objects.create(offer=flash, code="GONE", discount_type="amount", value=1, max_uses=1, uses=1)
    seller.post(f"/offers/{flash.pk}/coupons", {"code": "USED", "discount_type": "amount", "value": "1"})
    buyer.post(f"/offers/{flash.pk}/claims", {"quantity": 1, "coupon": "USED"})
    before = coupon_state()
    with unchanged():
        error_of(buyer.post(f"/offers/{flash.pk}/claims", {"quantity": 1, "coupon": coupon}), status, code)
    assert coupon_state() == before
    assert Offer.objects.get(pk=flash.pk).sold == 1 and Order.objects.count() == 1


def test_the_same_idempotency_key_with_another_coupon_is_refused(flash, seller, buyer):
    seller.post(f"/offers/{flash.pk}/coupons", {"code": "KEYA", "discount_type": "amount", "value": "1"})
    first = buyer.post(f"/offers/{flash.pk}/claims", {"quantity": 1, "coupon": "KEYA", "idempotency_key": "x1"})
    again = buyer.post(f"/offers/{flash.pk}/claims", {"quantity": 1, "coupon": "keya", "idempotency_key": "x1"})
    assert first.status_code == 201 and again.status_code == 200 and again.json()["id"] == first.json()["id"]
    with unchanged():
        error_of(
            buyer.post(f"/offers/{flash.pk}/claims", {"quantity": 1, "idempotency_key": "x1"}),
            409,
            "idempotency_key_reused",
        )
