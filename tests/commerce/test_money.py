"""Money: amounts are Decimals in their currency's own minor units (0 for JPY and KRW,
2 for CNY, EUR and USD, 3 for BHD and KWD), parsed by one strict parser wherever they
come in, rounded half up, stored in three-place columns and shown as the reader's
language writes them. Each class of minor units goes through validation, the pages,
totals, Dutch steps and group-buy tiers here; the API's side is tests/api/test_money_api.py."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from community_commerce import display
from community_commerce.errors import InvalidInput
from community_commerce.models import Offer, Order
from community_commerce.money import CURRENCIES, decimals, fmt, format_money, parse_amount, round_amount
from community_commerce.services import claim as claim_service
from community_commerce.services import lifecycle, post_offer, stats
from community_commerce.views.composer import preview_context
from forum.models import Thread
from tests import factories as f
from tests.commerce.conftest import notes, thread_events
from tests.commerce.test_composer import offer_fields, thread_data
from tests.commerce.test_pages import field_block, offer_data


@pytest.fixture(autouse=True)
def _english_after():
    """A Chinese request leaves its language active in this thread: the next test reads English."""
    yield
    translation.activate("en")


# --- the currencies and their minor units (CLDR through Babel) ----------------------------------------


@pytest.mark.parametrize(
    ("currency", "places"), [("JPY", 0), ("KRW", 0), ("CNY", 2), ("EUR", 2), ("USD", 2), ("BHD", 3), ("KWD", 3)]
)
def test_each_currency_has_its_own_minor_units(currency, places):
    assert currency in CURRENCIES
    assert decimals(currency) == places


def test_the_currencies_are_the_iso_4217_ones_in_use_today():
    assert {"EUR", "USD", "CNY", "GBP", "CHF", "JPY", "KRW", "BHD", "KWD", "XCG", "ZWG"} <= CURRENCIES
    assert all(len(code) == 3 and code.isupper() for code in CURRENCIES)
    assert len(CURRENCIES) > 150
    # funds and units of account, precious metals, test / "no currency" codes, withdrawn currencies
    for code in ("CLF", "USN", "XDR", "XAU", "XAG", "XPT", "XTS", "XXX", "DEM", "FRF", "HRK", "EURO", ""):
        assert code not in CURRENCIES, code


# --- parse_amount: the one parser of every amount that comes in -----------------------------------------


@pytest.mark.parametrize(
    ("raw", "currency", "expected"),
    [
        ("1500", "JPY", "1500"),
        ("1500.00", "JPY", "1500"),  # zeros after the point say nothing more
        (1500, "KRW", "1500"),
        ("19.90", "EUR", "19.90"),
        ("19.9", "USD", "19.90"),
        (" 7.5 ", "EUR", "7.50"),  # whitespace around the number is ignored
        ("\t20\n", "CNY", "20.00"),
        ("5.", "EUR", "5.00"),
        (".5", "EUR", "0.50"),
        (20, "EUR", "20.00"),
        (19.9, "EUR", "19.90"),  # a JSON float is read by its shortest spelling, not its binary value
        (0.01, "EUR", "0.01"),
        (Decimal("3"), "EUR", "3.00"),
        ("9999999999.99", "EUR", "9999999999.99"),
        ("1.25", "BHD", "1.250"),
        ("1.250", "KWD", "1.250"),
        ("0.001", "KWD", "0.001"),
    ],
)
def test_parse_amount_accepts_plain_decimals_in_the_currency_s_decimals(raw, currency, expected):
    amount = parse_amount(raw, currency)
    assert isinstance(amount, Decimal)
    assert str(amount) == expected  # exactly the currency's places, so 20 is stored and shown as 20.00


PLAIN = "use the digits 0-9 and an optional '.', e.g. 19.90"


@pytest.mark.parametrize(
    ("raw", "currency", "reason"),
    [
        # defect 6: what Decimal() reads but a price must not (quantities refuse them too)
        ("１０.００", "EUR", PLAIN),
        ("١٠.٠٠", "EUR", PLAIN),
        ("۱۰", "EUR", PLAIN),
        ("1_0.00", "EUR", PLAIN),
        ("1E+2", "EUR", PLAIN),
        ("0.001e3", "EUR", PLAIN),
        ("1e1", "JPY", PLAIN),
        ("+10", "EUR", PLAIN),
        ("1,50", "EUR", PLAIN),
        ("1.2.3", "EUR", PLAIN),
        ("10 00", "EUR", PLAIN),
        ("abc", "EUR", PLAIN),
        ("", "EUR", PLAIN),
        ("   ", "EUR", PLAIN),
        (".", "EUR", PLAIN),
        ("NaN", "EUR", PLAIN),
        ("Infinity", "EUR", PLAIN),
        (None, "EUR", "not a number"),
        (True, "EUR", "not a number"),
        (float("nan"), "EUR", "not a number"),
        (Decimal("NaN"), "EUR", "not a number"),
        ([10], "EUR", "not a number"),
        ("0", "EUR", "must be greater than 0"),
        (0, "JPY", "must be greater than 0"),
        ("0.000", "BHD", "must be greater than 0"),
        ("-1", "EUR", "must be greater than 0"),
        (-19.9, "EUR", "must be greater than 0"),
        ("10000000000", "EUR", "too large"),
        (1e30, "EUR", "too large"),
        ("12345678901.234", "BHD", "too large"),
        # more decimals than the currency has
        ("1500.50", "JPY", "JPY takes no decimals"),
        ("0.5", "KRW", "KRW takes no decimals"),
        ("19.999", "EUR", "EUR takes at most 2 decimals"),
        ("0.001", "CNY", "CNY takes at most 2 decimals"),
        (0.1 + 0.2, "USD", "USD takes at most 2 decimals"),  # 0.30000000000000004: refused, not rounded away
        ("1.2345", "BHD", "BHD takes at most 3 decimals"),
    ],
)
def test_parse_amount_refuses_with_a_reason(raw, currency, reason):
    with pytest.raises(ValueError) as exc:
        parse_amount(raw, currency)
    assert str(exc.value) == reason


def test_the_decimals_message_is_translated():
    with translation.override("zh-hans"), pytest.raises(ValueError) as exc:
        parse_amount("1500.50", "JPY")
    assert str(exc.value) == "JPY 不能有小数"


# --- rounding and writing amounts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (None, "EUR", None),
        (Decimal("5"), "EUR", "5.00"),
        (Decimal("19.9"), "USD", "19.90"),
        (Decimal("1.005"), "EUR", "1.01"),  # half up, as on a receipt
        (Decimal("0.125"), "USD", "0.13"),  # half up, not half even (0.12)
        (Decimal("1.004"), "EUR", "1.00"),
        (3, "CNY", "3.00"),
        (Decimal("0.10") * 3, "EUR", "0.30"),
        (Decimal("1500.000"), "JPY", "1500"),  # the columns' three places, written in the currency's
        (Decimal("2.5"), "JPY", "3"),
        (Decimal("1499.4"), "KRW", "1499"),
        ("1.25", "BHD", "1.250"),
        (Decimal("1.0005"), "KWD", "1.001"),
        (Decimal("17.900"), "EUR", "17.90"),
    ],
)
def test_fmt_writes_the_currency_s_decimals_rounding_half_up(amount, currency, shown):
    assert fmt(amount, currency) == shown


def test_round_amount_rounds_half_up_in_the_currency_s_decimals():
    assert round_amount(Decimal("0.5"), "JPY") == Decimal("1")
    assert round_amount(Decimal("1.0005"), "BHD") == Decimal("1.001")
    assert round_amount(Decimal("2.675"), "EUR") == Decimal("2.68")


@pytest.mark.parametrize(
    ("amount", "currency", "english", "chinese"),
    [
        ("1500", "JPY", "¥1,500", "JP¥1,500"),
        (Decimal("100000"), "KRW", "₩100,000", "₩100,000"),
        ("19.9", "EUR", "€19.90", "€19.90"),
        ("5", "USD", "$5.00", "US$5.00"),
        ("12.5", "CNY", "CN¥12.50", "¥12.50"),
        ("1.25", "BHD", "BHD1.250", "BHD1.250"),
        (Decimal("1234.5"), "KWD", "KWD1,234.500", "KWD1,234.500"),
        (Decimal("2.5"), "JPY", "¥3", "JP¥3"),  # rounded half up in the currency's decimals
    ],
)
def test_format_money_writes_amounts_as_the_reader_s_language_does(amount, currency, english, chinese):
    with translation.override("en"):
        assert format_money(amount, currency) == english
    with translation.override("zh-hans"):
        assert format_money(amount, currency) == chinese
    assert format_money(amount, currency, "en") == english


def test_format_money_of_nothing_is_nothing():
    assert format_money(None, "EUR") == "" and format_money("", "JPY") == ""


# --- offers in each class of minor units, through the services and the pages --------------------------------

MONEY = {  # a flash sale's unit price as typed, stored and shown (en, zh-hans), and the total of 3
    "JPY": ("1500", "1500", "¥1,500", "JP¥1,500", "4500", "¥4,500"),
    "KRW": ("12000", "12000", "₩12,000", "₩12,000", "36000", "₩36,000"),
    "EUR": ("9.9", "9.90", "€9.90", "€9.90", "29.70", "€29.70"),
    "CNY": ("19.90", "19.90", "CN¥19.90", "¥19.90", "59.70", "CN¥59.70"),
    "BHD": ("1.25", "1.250", "BHD1.250", "BHD1.250", "3.750", "BHD3.750"),
    "KWD": ("0.333", "0.333", "KWD0.333", "KWD0.333", "0.999", "KWD0.999"),
}


@pytest.fixture
def shop(db):
    return f.merchant(f.user("seller"), payment_instructions="Cash on pick-up.")


@pytest.fixture
def deals(db):
    return f.category("Deals", slug="deals", commerce_enabled=True)


@pytest.fixture
def shop_thread(shop, deals):
    return f.commerce_thread(shop, category_=deals, title="Money deals")


def logged_in(member):
    client = Client()
    client.force_login(member)
    return client


def text(html):
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def post(shop, thread, kind, currency, terms, *, stock=10, lasts=timedelta(days=1), start=None):
    start = start or timezone.now() - timedelta(minutes=1)
    return post_offer.create_offer(
        user=shop.user,
        thread_id=thread.pk,
        kind=kind,
        title=f"A {currency} {kind}",
        description="",
        currency=currency,
        starts_at=start,
        ends_at=start + lasts,
        stock=None if kind == "group_buy" else stock,
        per_user_limit=None,
        terms=terms,
    )


def chinese(member):
    client = logged_in(member)
    client.cookies["django_language"] = "zh-hans"
    return client


@pytest.mark.parametrize("currency", list(MONEY))
def test_an_offer_is_stored_with_and_shown_in_its_currency_s_decimals(shop, shop_thread, currency):
    typed, stored, english, in_chinese, _total, _total_shown = MONEY[currency]
    offer = post(shop, shop_thread, "flash_sale", currency, {"unit_price": typed})
    assert offer.terms["unit_price"] == stored
    reader = f.user()
    assert f"Price now {english} per unit" in text(
        logged_in(reader).get(shop_thread.get_absolute_url()).content.decode()
    )
    page = text(chinese(reader).get(shop_thread.get_absolute_url()).content.decode())
    assert in_chinese in page and english not in page.replace(in_chinese, "")


@pytest.mark.parametrize("currency", list(MONEY))
def test_a_claim_s_total_is_exact_in_the_currency_and_shown_on_the_order_and_my_deals(shop, shop_thread, currency):
    typed, stored, english, _zh, total, total_shown = MONEY[currency]
    offer = post(shop, shop_thread, "flash_sale", currency, {"unit_price": typed})
    buyer = f.user()
    claim, _ = claim_service.claim(offer_id=offer.pk, buyer=buyer, quantity=3)
    order = Order.objects.get(claim=claim)
    assert (order.unit_price, order.total, order.currency) == (Decimal(stored), Decimal(total), currency)
    client = logged_in(buyer)
    page = text(client.get(reverse("community_commerce:order", args=[order.pk])).content.decode())
    assert f"Unit price {english} Total {total_shown}" in page
    assert f"Pay {total_shown} for order {order.number}." in page  # the payment instructions
    mine = text(client.get(reverse("community_commerce:my_orders")).content.decode())
    assert f"{total_shown} {english} each" in mine
    card = text(client.get(shop_thread.get_absolute_url()).content.decode())
    assert f"3 × {english}" in card


def test_a_yen_offer_refuses_decimals_with_a_field_error_that_says_so(shop, shop_thread):
    with pytest.raises(InvalidInput) as exc:
        post(shop, shop_thread, "flash_sale", "JPY", {"unit_price": "1500.50"})
    assert exc.value.fields == {"terms.unit_price": ["JPY takes no decimals"]}
    with pytest.raises(InvalidInput) as exc:
        post(shop, shop_thread, "flash_sale", "BHD", {"unit_price": "1.2505"})
    assert exc.value.fields == {"terms.unit_price": ["BHD takes at most 3 decimals"]}
    assert not Offer.objects.exists()


def test_changing_the_currency_checks_the_prices_again(shop, shop_thread):
    offer = post(shop, shop_thread, "flash_sale", "EUR", {"unit_price": "19.90"})
    with pytest.raises(InvalidInput) as exc:
        post_offer.update_offer(user=shop.user, offer_id=offer.pk, currency="JPY")
    assert exc.value.fields == {"terms.unit_price": ["JPY takes no decimals"]}
    offer = post_offer.update_offer(
        user=shop.user, offer_id=offer.pk, currency="JPY", terms={"unit_price": "2000", "reservation_minutes": 15}
    )
    assert (offer.currency, offer.terms["unit_price"]) == ("JPY", "2000")


@pytest.mark.parametrize(
    ("currency", "terms", "after_three", "shown", "step_shown"),
    [
        ("JPY", {"start_price": "1000", "floor_price": "400", "step": "75"}, "775", "¥775", "¥75"),
        ("EUR", {"start_price": "10", "floor_price": "4", "step": "0.75"}, "7.75", "€7.75", "€0.75"),
        ("KWD", {"start_price": "10", "floor_price": "4", "step": "0.125"}, "9.625", "KWD9.625", "KWD0.125"),
    ],
)
def test_dutch_steps_fall_in_the_currency_s_decimals(
    shop, shop_thread, clock, currency, terms, after_three, shown, step_shown
):
    offer = post(shop, shop_thread, "dutch_auction", currency, {**terms, "step_seconds": 60}, start=clock.now)
    clock.advance(minutes=3)
    kind = offer.kind_class
    assert kind.unit_price(offer, clock.now) == Decimal(after_three)
    assert str(kind.unit_price(offer, clock.now)) == after_three  # no stray places
    reader = logged_in(f.user())
    page = text(reader.get(shop_thread.get_absolute_url()).content.decode())
    assert f"Price now {shown} per unit" in page and f"Drops by {step_shown} every 60 s" in page
    assert [badge["label"] for badge in display.thread_offer_badges([shop_thread.pk])[shop_thread.pk]] == [
        f"Dutch · {shown} now"
    ]
    buyer = f.user()
    claim, _ = claim_service.claim(offer_id=offer.pk, buyer=buyer, quantity=2)
    assert Order.objects.get(claim=claim).total == Decimal(after_three) * 2


def test_a_dutch_price_kept_from_before_with_more_places_is_rounded_half_up(shop, shop_thread, clock):
    """Terms stored before amounts were checked per currency (here 0.5 JPY steps) still
    give prices in the currency's decimals, rounded half up."""
    offer = post(shop, shop_thread, "dutch_auction", "JPY", {"start_price": "100", "floor_price": "1", "step": "1", "step_seconds": 60}, start=clock.now)  # fmt: skip
    Offer.objects.filter(pk=offer.pk).update(terms={**offer.terms, "step": "0.5"})
    offer.refresh_from_db()
    assert offer.kind_class.price_after(offer, 1) == Decimal("100")  # 99.5 -> 100
    assert offer.kind_class.price_after(offer, 3) == Decimal("99")  # 98.5 -> 99


@pytest.mark.parametrize(
    ("currency", "terms", "tier_price", "tier_shown", "result"),
    [
        (
            "KRW",
            {"unit_price": "20000", "tiers": [{"min_quantity": 5, "unit_price": "17500"}]},
            "17500",
            "₩17,500",
            ("35000", "35000 KRW"),
        ),
        (
            "USD",
            {"unit_price": "20", "tiers": [{"min_quantity": 5, "unit_price": "17.5"}]},
            "17.50",
            "$17.50",
            ("35.00", "35.00 USD"),
        ),
        (
            "BHD",
            {"unit_price": "2", "tiers": [{"min_quantity": 5, "unit_price": "1.755"}]},
            "1.755",
            "BHD1.755",
            ("3.510", "3.510 BHD"),
        ),
    ],
)
def test_group_buy_tiers_orders_and_notes_in_the_currency_s_decimals(
    shop, shop_thread, buyers, django_capture_on_commit_callbacks, currency, terms, tier_price, tier_shown, result
):
    offer = post(shop, shop_thread, "group_buy", currency, {**terms, "min_quantity": 3})
    assert offer.terms["tiers"][0]["unit_price"] == tier_price
    page = text(logged_in(f.user()).get(shop_thread.get_absolute_url()).content.decode())
    assert f"From 5 units {tier_shown}" in page
    for member in buyers:
        claim_service.claim(offer_id=offer.pk, buyer=member, quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at) is True
    offer.refresh_from_db()
    assert offer.result_unit_price == Decimal(tier_price)
    for order in Order.objects.filter(offer=offer):
        assert (order.unit_price, order.total) == (Decimal(tier_price), Decimal(result[0]))
    assert thread_events(shop_thread)[-1] == f"Group-buy succeeded: 6 units at {tier_price} {currency}"
    (note,) = notes(buyers[0], "offer_succeeded")
    assert f"succeeded at {tier_price} {currency}" in note.text and f"2 for {result[1]}." in note.text
    page = text(logged_in(buyers[0]).get(shop_thread.get_absolute_url()).content.decode())
    assert f"Succeeded: 6 units at {tier_shown}." in page


def test_the_dashboard_shows_revenue_per_currency_in_its_decimals(shop, shop_thread):
    for currency, price in (("JPY", "1500"), ("BHD", "1.25"), ("EUR", "9.90")):
        offer = post(shop, shop_thread, "flash_sale", currency, {"unit_price": price})
        claim, _ = claim_service.claim(offer_id=offer.pk, buyer=f.user(), quantity=3)
        Order.objects.filter(claim=claim).update(status=Order.Status.PAID)
    assert {line["currency"]: line["amount"] for line in stats.merchant_revenue(shop)} == {
        "JPY": Decimal("4500"),
        "BHD": Decimal("3.75"),
        "EUR": Decimal("29.70"),
    }
    html = logged_in(shop.user).get(reverse("community_commerce:merchant_dashboard")).content.decode()
    tiles = text(html[html.index('<ul class="stat-tiles"') :])
    assert tiles.startswith("Revenue") and {"¥4,500", "BHD3.750", "€29.70"} <= set(tiles.split(" ")[1:4])


def test_the_preview_shows_each_currency_s_decimals_and_names_a_wrong_currency(db):
    data = offer_fields("dutch_auction", currency="JPY", start_price="1000", floor_price="400", step="75")
    context = preview_context(data, prefix="offer")
    assert [row["price"] for row in context["schedule"][:3]] == [Decimal("1000"), Decimal("925"), Decimal("850")]
    wrong = preview_context(offer_fields("flash_sale", currency="XAU"), prefix="offer")
    assert wrong["problems"] == [("Currency", "Give a known ISO 4217 currency code, such as EUR.")]
    decimals_off = preview_context(offer_fields("flash_sale", currency="JPY", unit_price="9.90"), prefix="offer")
    assert decimals_off["problems"] == [("Unit price", "JPY takes no decimals")]


# --- the forms: the add-offer page and the new-thread composer ------------------------------------------------

TEN_MISSPELLED = ["１０.００", "١٠.٠٠", "۱۰", "1_0.00", "1E+1", "0.01e3", "+10"]

# (kind, form field, the other fields that make ten valid there, how ten goes in)
FORM_AMOUNTS = [
    ("flash_sale", "unit_price", {}, lambda ten: {"unit_price": ten}),
    ("group_buy", "unit_price", {"tiers": "30 9.00"}, lambda ten: {"unit_price": ten}),
    ("group_buy", "tiers", {}, lambda ten: {"tiers": f"30 {ten}"}),
    ("dutch_auction", "start_price", {"floor_price": "4"}, lambda ten: {"start_price": ten}),
    ("dutch_auction", "floor_price", {}, lambda ten: {"floor_price": ten}),
    ("dutch_auction", "step", {}, lambda ten: {"step": ten}),
]
FORM_CASES = [
    pytest.param(kind, field, base, typed, spelling, id=f"{kind}-{field}-{spelling}")
    for kind, field, base, typed in FORM_AMOUNTS
    for spelling in TEN_MISSPELLED
]


@pytest.mark.parametrize(("kind", "field", "base", "typed", "spelling"), FORM_CASES)
def test_the_add_offer_form_refuses_a_misspelled_amount_next_to_its_field(
    shop, deals, kind, field, base, typed, spelling
):
    thread = f.commerce_thread(shop, category_=deals)
    response = logged_in(shop.user).post(
        reverse("community_commerce:new_offer"), offer_data(thread, kind, **base, **typed(spelling))
    )
    assert response.status_code == 400
    assert not Offer.objects.exists()
    assert PLAIN in unescape(field_block(response.content.decode(), field))


@pytest.mark.parametrize(("kind", "field", "base", "typed", "spelling"), FORM_CASES)
def test_the_composer_refuses_a_misspelled_amount_next_to_its_field(
    shop, deals, flood_off, kind, field, base, typed, spelling
):
    data = thread_data(**offer_fields(kind, **base, **typed(spelling)))
    response = logged_in(shop.user).post(reverse("forum:new_thread", args=[deals.slug]), data)
    assert response.status_code == 400
    assert not Thread.objects.exists() and not Offer.objects.exists()
    assert PLAIN in unescape(field_block(response.content.decode(), f"offer-{field}"))


@pytest.mark.parametrize(("kind", "field", "base", "typed"), [case[:4] for case in FORM_AMOUNTS])
def test_ten_typed_plainly_goes_through_the_form(shop, deals, kind, field, base, typed):
    thread = f.commerce_thread(shop, category_=deals)
    response = logged_in(shop.user).post(
        reverse("community_commerce:new_offer"), offer_data(thread, kind, **base, **typed("10"))
    )
    assert response.status_code == 302
    terms = Offer.objects.get().terms
    assert (terms["tiers"][0]["unit_price"] if field == "tiers" else terms[field]) == "10.00"


@pytest.mark.parametrize(
    ("currency", "typed", "stored"), [("JPY", "1500", "1500"), ("BHD", "1.25", "1.250"), ("USD", "9.9", "9.90")]
)
def test_the_form_takes_each_currency_s_decimals(shop, deals, currency, typed, stored):
    thread = f.commerce_thread(shop, category_=deals)
    data = offer_data(thread, "flash_sale", currency=currency, unit_price=typed)
    assert logged_in(shop.user).post(reverse("community_commerce:new_offer"), data).status_code == 302
    assert Offer.objects.get().terms["unit_price"] == stored


@pytest.mark.parametrize(
    ("currency", "typed", "message"),
    [("JPY", "1500.50", "JPY takes no decimals"), ("KWD", "1.2345", "KWD takes at most 3 decimals")],
)
def test_the_form_says_how_many_decimals_the_currency_takes(shop, deals, flood_off, currency, typed, message):
    thread = f.commerce_thread(shop, category_=deals)
    client = logged_in(shop.user)
    data = offer_data(thread, "flash_sale", currency=currency, unit_price=typed)
    response = client.post(reverse("community_commerce:new_offer"), data)
    assert response.status_code == 400 and not Offer.objects.exists()
    assert message in field_block(response.content.decode(), "unit_price")
    data = thread_data(**offer_fields("flash_sale", currency=currency, unit_price=typed))
    response = client.post(reverse("forum:new_thread", args=[deals.slug]), data)
    assert response.status_code == 400 and Thread.objects.count() == 1  # only the add-offer page's
    assert message in field_block(response.content.decode(), "offer-unit_price")


def test_the_decimals_error_reads_in_chinese_for_a_chinese_reader(shop, deals):
    thread = f.commerce_thread(shop, category_=deals)
    data = offer_data(thread, "flash_sale", currency="JPY", unit_price="1500.50")
    response = chinese(shop.user).post(reverse("community_commerce:new_offer"), data)
    assert response.status_code == 400
    assert "JPY 不能有小数" in field_block(response.content.decode(), "unit_price")


def test_the_money_columns_hold_the_most_decimals_any_allowed_currency_takes():
    from community_commerce.models import Claim
    from community_commerce.money import MAX_DECIMALS

    assert max(decimals(code) for code in CURRENCIES) == MAX_DECIMALS == 3
    for model, name in ((Order, "unit_price"), (Order, "total"), (Claim, "unit_price"), (Offer, "result_unit_price")):
        field = model._meta.get_field(name)
        assert field.decimal_places == MAX_DECIMALS
        assert field.max_digits - field.decimal_places >= 10  # money.MAX_AMOUNT is 1e10, exclusive


def test_the_admin_shows_amounts_in_the_currency_s_decimals(shop, shop_thread):
    offer = post(shop, shop_thread, "flash_sale", "JPY", {"unit_price": "1500"})
    claim, _ = claim_service.claim(offer_id=offer.pk, buyer=f.user(), quantity=3)
    order = Order.objects.get(claim=claim)
    admin = Client()
    admin.force_login(f.user("boss", is_staff=True, is_superuser=True))
    listing = text(admin.get(reverse("admin:community_commerce_order_changelist")).content.decode())
    assert "¥4,500" in listing and "4500.000" not in listing
    detail = text(admin.get(reverse("admin:community_commerce_order_change", args=[order.pk])).content.decode())
    assert "¥1,500" in detail and "¥4,500" in detail
    assert "1500.000" not in detail
    offer_page = text(admin.get(reverse("admin:community_commerce_offer_change", args=[offer.pk])).content.decode())
    assert "¥1,500" in offer_page and "1500.000" not in offer_page  # the claims inline
