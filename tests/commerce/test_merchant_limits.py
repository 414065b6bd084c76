"""Limits for new shops (services/limits.py): until a shop has NEW_MERCHANT_ORDERS completed
orders, one offer may be worth at most NEW_MERCHANT_MAX_VALUE in its currency (units x the
highest unit price), in the API (409 ``merchant_limit`` with the numbers) and in the forms.
These tests run with the defaults (tests/conftest.py lifts the limit for the others)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community_commerce.models import Offer, Order
from community_commerce.services import limits
from tests import factories
from tests.api.test_commerce_api import Api, error_of, offer_body
from tests.commerce.trust_support import Shop

pytestmark = [pytest.mark.django_db, pytest.mark.new_shop_limits]
S = Order.Status


@pytest.fixture
def shop():
    shop = Shop(stock=100)
    shop.thread = factories.commerce_thread(shop.merchant, title="More deals")
    return shop


def test_the_defaults():
    assert limits.max_value("EUR") == 2000 and limits.max_value("JPY") == 2000
    assert limits.is_new(factories.merchant())


def test_a_new_shop_s_offer_over_the_limit_is_refused_with_the_numbers(shop):
    seller = Api(shop.seller)
    body = offer_body("flash_sale", shop.thread, stock=201, terms={"unit_price": "10.00", "reservation_minutes": 15})
    before = Offer.objects.count()
    error = error_of(seller.post("/offers", body), 409, "merchant_limit")
    assert "2000.00 EUR" in error["message"] and "2010.00 EUR" in error["message"]
    assert "5 completed orders; it has 0" in error["message"]
    assert Offer.objects.count() == before
    assert seller.post("/offers", {**body, "stock": 200}).status_code == 201  # 200 x 10.00 = 2000: at the limit


def test_a_dutch_auction_is_worth_its_start_price_and_a_group_buy_needs_units(shop):
    seller = Api(shop.seller)
    dutch = offer_body("dutch_auction", shop.thread, stock=21)  # 21 x 100.00 at the start
    error_of(seller.post("/offers", dutch), 409, "merchant_limit")
    assert seller.post("/offers", {**dutch, "stock": 20}).status_code == 201
    group = offer_body("group_buy", shop.thread)  # no units for sale: no bound
    assert "Give the units for sale" in error_of(seller.post("/offers", group), 409, "merchant_limit")["message"]
    assert seller.post("/offers", {**group, "stock": 100}).status_code == 201  # 100 x 19.90


def test_the_limit_is_per_currency_in_settings(shop, settings):
    settings.COMMUNITY_COMMERCE_NEW_MERCHANT_MAX_VALUE = "JPY=300000,*=2000"
    seller = Api(shop.seller)
    yen = offer_body(
        "flash_sale", shop.thread, currency="JPY", stock=100, terms={"unit_price": "3000", "reservation_minutes": 15}
    )
    assert seller.post("/offers", yen).status_code == 201
    error = error_of(seller.post("/offers", {**yen, "stock": 101}), 409, "merchant_limit")
    assert "300000 JPY" in error["message"] and "303000 JPY" in error["message"]


def test_editing_an_offer_over_the_limit_is_refused(shop):
    seller = Api(shop.seller)
    created = seller.post(
        "/offers", offer_body("flash_sale", shop.thread, starts_at=(timezone.now() + timedelta(hours=1)).isoformat())
    )
    assert created.status_code == 201, created.content
    error_of(seller.patch(f"/offers/{created.json()['id']}", {"stock": 500}), 409, "merchant_limit")
    assert Offer.objects.get(pk=created.json()["id"]).stock == 20


def test_the_limit_lifts_after_enough_completed_orders(shop, settings):
    settings.COMMUNITY_COMMERCE_NEW_MERCHANT_ORDERS = 2
    seller = Api(shop.seller)
    big = offer_body("flash_sale", shop.thread, stock=1000)
    shop.order(S.COMPLETED)
    shop.order(S.SHIPPED)  # not completed: does not count
    error_of(seller.post("/offers", big), 409, "merchant_limit")
    shop.order(S.COMPLETED)
    assert seller.post("/offers", big).status_code == 201
    merchant = Api().get(f"/merchants/{shop.merchant.pk}").json()
    assert merchant["limits"] == {"new_merchant": False, "completed_orders_needed": 2, "max_offer_value": None}


def test_the_api_shows_the_limits_of_a_new_shop(shop):
    assert Api().get(f"/merchants/{shop.merchant.pk}").json()["limits"] == {
        "new_merchant": True,
        "completed_orders_needed": 5,
        "max_offer_value": {"default": "2000"},
    }


def test_the_offer_form_shows_the_refusal(shop):
    client = Client()
    client.force_login(shop.seller)
    now = timezone.localtime()
    response = client.post(
        reverse("community_commerce:new_offer") + f"?thread={shop.thread.pk}",
        {
            "kind": "flash_sale", "title": "Honey jars", "currency": "EUR",
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"), "ends_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "stock": "500", "unit_price": "12.00", "reservation_minutes": "15",
        },
    )  # fmt: skip
    assert response.status_code == 409
    page = " ".join(response.content.decode().split())
    assert "may be worth at most 2000.00 EUR (units for sale × price)" in page
    assert "This offer is worth 6000.00 EUR." in page
    assert not Offer.objects.filter(title="Honey jars").exists()


def test_the_dashboard_tells_a_new_shop_its_limit(shop):
    client = Client()
    client.force_login(shop.seller)
    page = client.get(reverse("community_commerce:merchant_dashboard")).content.decode()
    assert "Your shop is new: until it has 5 completed orders (it has 0)" in " ".join(page.split())
