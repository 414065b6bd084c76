"""Money through the API: amounts are plain ASCII decimals in the currency's own
minor units (shared/API.md), parsed by one parser wherever they come in, and
written back as strings with the currency's decimals."""

import copy
from datetime import timedelta

import pytest
from django.utils import timezone

from community_commerce.models import Offer
from tests import factories
from tests.api.test_commerce_api import Api, error_of, unchanged

pytestmark = pytest.mark.django_db

# Ten, spelled the ways Python's Decimal() reads but a price field must not: quantities refuse them too.
TEN_MISSPELLED = [
    pytest.param("１０.００", id="full_width_digits"),
    pytest.param("١٠.٠٠", id="arabic_indic_digits"),
    pytest.param("۱۰", id="extended_arabic_indic_digits"),
    pytest.param("1_0.00", id="underscore"),
    pytest.param("1E+1", id="exponent"),
    pytest.param("0.01e3", id="small_exponent"),
    pytest.param("+10", id="plus_sign"),
]

# Terms in which ten is a valid value for every amount named in AMOUNT_FIELDS.
TERMS = {
    "flash_sale": {"unit_price": "9.90", "reservation_minutes": 15},
    "group_buy": {"unit_price": "19.90", "min_quantity": 10, "tiers": [{"min_quantity": 30, "unit_price": "9.00"}]},
    "dutch_auction": {"start_price": "100.00", "floor_price": "4.00", "step": "1.00", "step_seconds": 60},
}

AMOUNT_FIELDS = [
    pytest.param("flash_sale", ("unit_price",), id="flash_unit_price"),
    pytest.param("group_buy", ("unit_price",), id="group_unit_price"),
    pytest.param("group_buy", ("tiers", 0, "unit_price"), id="group_tier_price"),
    pytest.param("dutch_auction", ("start_price",), id="dutch_start_price"),
    pytest.param("dutch_auction", ("floor_price",), id="dutch_floor_price"),
    pytest.param("dutch_auction", ("step",), id="dutch_step"),
]


@pytest.fixture
def shop(db):
    return factories.merchant(factories.user("seller"), display_name="Tea House")


@pytest.fixture
def thread(shop):
    return factories.commerce_thread(shop, category_=factories.category("Deals", commerce_enabled=True))


@pytest.fixture
def seller(shop):
    return Api(shop.user)


def body(kind, thread, *, currency="EUR", terms=None, stock=20):
    now = timezone.now()
    return {
        "kind": kind,
        "thread": thread.pk,
        "title": f"Tea {kind}",
        "currency": currency,
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(days=2)).isoformat(),
        "stock": None if kind == "group_buy" else stock,
        "terms": copy.deepcopy(terms if terms is not None else TERMS[kind]),
    }


def put(terms, path, value):
    """``terms`` with the amount at ``path`` (("tiers", 0, "unit_price")) set to ``value``."""
    terms = copy.deepcopy(terms)
    target = terms
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return terms


def field_name(path):
    return "terms." + ".".join(str(step) for step in path)


# --- defect 6: one strict parser for every amount that comes in ---------------------------------------


@pytest.mark.parametrize(("kind", "path"), AMOUNT_FIELDS)
def test_ten_written_plainly_is_accepted_in_every_amount_field(seller, thread, kind, path):
    response = seller.post("/offers", body(kind, thread, terms=put(TERMS[kind], path, "10")))
    assert response.status_code == 201, response.content
    stored = Offer.objects.get().terms
    assert put(TERMS[kind], path, "10.00") == {k: stored[k] for k in TERMS[kind]}


@pytest.mark.parametrize("spelling", TEN_MISSPELLED)
@pytest.mark.parametrize(("kind", "path"), AMOUNT_FIELDS)
def test_a_misspelled_amount_is_400_on_create(seller, thread, kind, path, spelling):
    with unchanged():
        answer = error_of(
            seller.post("/offers", body(kind, thread, terms=put(TERMS[kind], path, spelling))), 400, "invalid"
        )
    assert answer["fields"][field_name(path)] == ["use the digits 0-9 and an optional '.', e.g. 19.90"]
    assert not Offer.objects.exists()


@pytest.mark.parametrize("spelling", TEN_MISSPELLED)
@pytest.mark.parametrize(("kind", "path"), AMOUNT_FIELDS)
def test_a_misspelled_amount_is_400_on_edit(seller, shop, kind, path, spelling):
    offer = factories.offer(kind, merchant_=shop, terms=TERMS[kind])
    before = offer.terms
    with unchanged():
        answer = error_of(
            seller.patch(f"/offers/{offer.pk}", {"terms": put(TERMS[kind], path, spelling)}), 400, "invalid"
        )
    assert field_name(path) in answer["fields"]
    offer.refresh_from_db()
    assert offer.terms == before and offer.revision == 0


# --- each currency's decimals, in and out -------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "typed", "written"),
    [
        ("JPY", "1500", "1500"),
        ("JPY", 1500, "1500"),
        ("KRW", "12000.00", "12000"),
        ("CNY", "19.9", "19.90"),
        ("EUR", "19.90", "19.90"),
        ("USD", 5, "5.00"),
        ("BHD", "1.25", "1.250"),
        ("KWD", "0.125", "0.125"),
    ],
)
def test_an_offer_takes_and_writes_amounts_in_its_currency_s_decimals(seller, thread, currency, typed, written):
    response = seller.post("/offers", body("flash_sale", thread, currency=currency, terms={"unit_price": typed}))
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["currency"], data["current_unit_price"], data["terms"]["unit_price"]) == (currency, written, written)
    assert seller.get(f"/offers/{data['id']}").json()["current_unit_price"] == written


@pytest.mark.parametrize(
    ("currency", "typed", "message"),
    [
        ("JPY", "1500.50", "JPY takes no decimals"),
        ("KRW", "0.5", "KRW takes no decimals"),
        ("EUR", "9.999", "EUR takes at most 2 decimals"),
        ("CNY", 0.1 + 0.2, "CNY takes at most 2 decimals"),
        ("BHD", "1.2505", "BHD takes at most 3 decimals"),
        ("KWD", "0.0001", "KWD takes at most 3 decimals"),
    ],
)
def test_more_decimals_than_the_currency_has_is_400_saying_how_many(seller, thread, currency, typed, message):
    with unchanged():
        answer = error_of(
            seller.post("/offers", body("flash_sale", thread, currency=currency, terms={"unit_price": typed})),
            400,
            "invalid",
        )
    assert answer["fields"] == {"terms.unit_price": [message]}


@pytest.mark.parametrize("currency", ["XAU", "XAG", "XTS", "XXX", "XDR", "CLF", "DEM", "HRK", "EURO", "eu"])
def test_funds_metals_test_codes_and_withdrawn_currencies_are_refused(seller, thread, currency):
    with unchanged():
        answer = error_of(seller.post("/offers", body("flash_sale", thread, currency=currency)), 400, "invalid")
    assert answer["fields"] == {"currency": ["Give a known ISO 4217 currency code, such as EUR."]}


@pytest.mark.parametrize(
    ("currency", "price", "unit", "total"),
    [("JPY", "1500", "1500", "4500"), ("EUR", "9.90", "9.90", "29.70"), ("BHD", "1.25", "1.250", "3.750")],
)
def test_claims_and_orders_write_their_amounts_in_the_currency_s_decimals(shop, thread, currency, price, unit, total):
    offer = factories.offer(
        "flash_sale", merchant_=shop, thread_=thread, currency=currency, terms={"unit_price": price}
    )
    buyer = Api(factories.user("buyer"))
    response = buyer.post(f"/offers/{offer.pk}/claims", {"quantity": 3})
    assert response.status_code == 201, response.content
    claim = response.json()
    assert (claim["unit_price"], claim["currency"]) == (unit, currency)
    order = buyer.get(f"/orders/{claim['order']}").json()
    assert (order["unit_price"], order["total"], order["currency"]) == (unit, total, currency)
    assert buyer.get("/me/orders").json()["items"][0]["total"] == total
    assert buyer.get("/me/claims").json()["items"][0]["unit_price"] == unit
    assert Api(shop.user).get("/merchant/orders").json()["items"][0]["total"] == total


@pytest.mark.parametrize(
    ("currency", "terms", "written"),
    [
        ("KRW", {"start_price": "10000", "floor_price": "4000", "step": "750"}, ("10000", "4000", "750", "9250")),
        ("USD", {"start_price": "10", "floor_price": "4", "step": "0.75"}, ("10.00", "4.00", "0.75", "9.25")),
        ("KWD", {"start_price": "10", "floor_price": "4", "step": "0.125"}, ("10.000", "4.000", "0.125", "9.875")),
    ],
)
def test_dutch_prices_are_written_in_the_currency_s_decimals(seller, shop, thread, currency, terms, written):
    start, floor, step, next_price = written
    offer = factories.offer(
        "dutch_auction",
        merchant_=shop,
        thread_=thread,
        currency=currency,
        terms={**terms, "step_seconds": 3600},
        starts_at=timezone.now() - timedelta(seconds=5),
    )
    data = seller.get(f"/offers/{offer.pk}").json()
    assert (data["current_unit_price"], data["start_price"], data["floor_price"]) == (start, start, floor)
    assert (data["next_price"], data["terms"]["step"]) == (next_price, step)


@pytest.mark.parametrize(
    ("currency", "base", "tier", "written"),
    [
        ("JPY", "2000", "1800", ("2000", "1800")),
        ("CNY", "20", "18", ("20.00", "18.00")),
        ("BHD", "2", "1.8", ("2.000", "1.800")),
    ],
)
def test_group_buy_tiers_are_written_in_the_currency_s_decimals(seller, thread, currency, base, tier, written):
    terms = {"unit_price": base, "min_quantity": 2, "tiers": [{"min_quantity": 5, "unit_price": tier}]}
    data = seller.post("/offers", body("group_buy", thread, currency=currency, terms=terms)).json()
    assert data["current_unit_price"] == written[0]
    assert (
        data["tiers"] == [{"min_quantity": 5, "unit_price": written[1]}]
        and data["next_tier"]["unit_price"] == written[1]
    )
    assert data["terms"]["tiers"][0]["unit_price"] == written[1]


def test_a_patch_that_changes_the_currency_checks_the_prices_in_it(seller, shop):
    offer = factories.offer("flash_sale", merchant_=shop, terms={"unit_price": "19.90"})
    with unchanged():
        answer = error_of(seller.patch(f"/offers/{offer.pk}", {"currency": "JPY"}), 400, "invalid")
    assert answer["fields"] == {"terms.unit_price": ["JPY takes no decimals"]}
    response = seller.patch(f"/offers/{offer.pk}", {"currency": "JPY", "terms": {"unit_price": "2000"}})
    assert response.status_code == 200, response.content
    assert (response.json()["currency"], response.json()["current_unit_price"]) == ("JPY", "2000")
