"""The offer kinds: price at time t, tiers, live state, and the validation of their terms."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from community_commerce.errors import InvalidInput
from community_commerce.kinds import KINDS, get_kind
from community_commerce.models import Offer

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)

DUTCH_TERMS = {"start_price": "100.00", "floor_price": "40.00", "step": "5.00", "step_seconds": 60}
GROUP_TERMS = {
    "unit_price": "20.00",
    "min_quantity": 10,
    "tiers": [{"min_quantity": 30, "unit_price": "18.00"}, {"min_quantity": 50, "unit_price": "15.00"}],
}


def make_offer(kind, terms, *, sold=0, stock=None, starts_at=START, ends_at=None, currency="EUR"):
    """An unsaved offer: the kinds' price functions only read its fields."""
    return Offer(
        kind=kind,
        currency=currency,
        terms=get_kind(kind).clean_terms(terms, currency=currency),
        starts_at=starts_at,
        ends_at=ends_at or starts_at + timedelta(days=1),
        stock=stock,
        sold=sold,
    )


def terms_error(kind, terms, currency="EUR"):
    with pytest.raises(InvalidInput) as exc:
        get_kind(kind).clean_terms(terms, currency=currency)
    assert exc.value.code == "invalid_terms"
    return exc.value.fields


def test_every_kind_is_registered_under_its_code():
    assert set(KINDS) == {"group_buy", "flash_sale", "dutch_auction", "team_buy", "lowest_unique"}
    assert {code: kind.creates_order_on_claim for code, kind in KINDS.items()} == {
        "group_buy": False,
        "flash_sale": True,
        "dutch_auction": True,
        "team_buy": False,  # the team's completion makes the orders
        "lowest_unique": False,  # the close makes the winner's order
    }


# --- Dutch auction: the price is a function of the clock ---------------------------------------

dutch = get_kind("dutch_auction")


@pytest.mark.parametrize("k", range(13))
def test_dutch_price_at_each_step_boundary_is_the_kth_price(k):
    offer = make_offer("dutch_auction", DUTCH_TERMS)
    at = START + timedelta(seconds=60 * k)
    assert dutch.unit_price(offer, at) == Decimal("100.00") - Decimal("5.00") * k


@pytest.mark.parametrize("k", range(1, 13))
def test_dutch_price_one_microsecond_before_a_step_is_still_the_previous_price(k):
    offer = make_offer("dutch_auction", DUTCH_TERMS)
    at = START + timedelta(seconds=60 * k) - ONE_MICROSECOND
    assert dutch.unit_price(offer, at) == Decimal("100.00") - Decimal("5.00") * (k - 1)


def test_dutch_price_between_steps_is_the_price_of_the_last_step():
    offer = make_offer("dutch_auction", DUTCH_TERMS)
    assert dutch.unit_price(offer, START + timedelta(seconds=150)) == Decimal("90.00")


@pytest.mark.parametrize("before", [ONE_MICROSECOND, timedelta(minutes=5), timedelta(days=30)])
def test_dutch_price_before_the_start_is_the_start_price(before):
    offer = make_offer("dutch_auction", DUTCH_TERMS)
    assert dutch.unit_price(offer, START - before) == Decimal("100.00")


@pytest.mark.parametrize("after", [timedelta(minutes=12), timedelta(minutes=13), timedelta(days=365)])
def test_dutch_price_far_after_is_the_floor(after):
    offer = make_offer("dutch_auction", DUTCH_TERMS)
    assert dutch.unit_price(offer, START + after) == Decimal("40.00")


def test_dutch_price_never_goes_below_the_floor_when_steps_do_not_divide_evenly():
    offer = make_offer("dutch_auction", {**DUTCH_TERMS, "floor_price": "42.50"})
    assert dutch.unit_price(offer, START + timedelta(minutes=11)) == Decimal("45.00")
    assert dutch.unit_price(offer, START + timedelta(minutes=12)) == Decimal("42.50")  # 40.00 would undercut
    assert dutch.unit_price(offer, START + timedelta(days=3)) == Decimal("42.50")


def test_dutch_price_is_a_decimal():
    offer = make_offer("dutch_auction", DUTCH_TERMS)
    assert isinstance(dutch.unit_price(offer, START + timedelta(minutes=3)), Decimal)


def test_dutch_next_price_at_the_start():
    offer = make_offer("dutch_auction", DUTCH_TERMS)
    state = dutch.live_state(offer, START)
    assert state["next_price"] == "95.00"
    assert state["next_price_at"] == START + timedelta(seconds=60)
    assert (state["start_price"], state["floor_price"]) == ("100.00", "40.00")


def test_dutch_next_price_between_steps_points_at_the_coming_step():
    offer = make_offer("dutch_auction", DUTCH_TERMS)
    state = dutch.live_state(offer, START + timedelta(seconds=61))
    assert state["next_price"] == "90.00"
    assert state["next_price_at"] == START + timedelta(seconds=120)


def test_dutch_next_price_one_microsecond_before_a_step_is_that_step():
    offer = make_offer("dutch_auction", DUTCH_TERMS)
    state = dutch.live_state(offer, START + timedelta(seconds=120) - ONE_MICROSECOND)
    assert (state["next_price"], state["next_price_at"]) == ("90.00", START + timedelta(seconds=120))


def test_dutch_next_price_is_the_floor_when_the_last_step_clips():
    offer = make_offer("dutch_auction", {**DUTCH_TERMS, "floor_price": "42.50"})
    state = dutch.live_state(offer, START + timedelta(minutes=11))
    assert (state["next_price"], state["next_price_at"]) == ("42.50", START + timedelta(minutes=12))


@pytest.mark.parametrize("after", [timedelta(minutes=12), timedelta(days=1) - ONE_MICROSECOND])
def test_dutch_next_price_is_none_at_the_floor(after):
    offer = make_offer("dutch_auction", DUTCH_TERMS, ends_at=START + timedelta(days=1))
    state = dutch.live_state(offer, START + after)
    assert state["next_price"] is None
    assert state["next_price_at"] is None


def test_dutch_next_price_is_none_when_the_next_step_comes_after_the_end():
    offer = make_offer("dutch_auction", DUTCH_TERMS, ends_at=START + timedelta(seconds=150))
    assert dutch.live_state(offer, START + timedelta(seconds=60))["next_price"] == "90.00"
    state = dutch.live_state(offer, START + timedelta(seconds=121))
    assert state["next_price"] is None  # 85.00 would come at 180 s: the auction has ended by then
    assert state["next_price_at"] is None


def test_dutch_schedule_lists_every_price_from_start_to_floor():
    offer = make_offer("dutch_auction", DUTCH_TERMS)
    rows = dutch.schedule(offer)
    assert len(rows) == 13
    assert rows[0] == (START, Decimal("100.00"))
    assert rows[1] == (START + timedelta(seconds=60), Decimal("95.00"))
    assert rows[-1] == (START + timedelta(seconds=720), Decimal("40.00"))
    assert [price for _at, price in rows] == [Decimal(100 - 5 * k) for k in range(13)]
    for at, price in rows:  # the table agrees with the price function
        assert dutch.unit_price(offer, at) == price


def test_dutch_schedule_ends_with_the_clipped_floor():
    offer = make_offer("dutch_auction", {**DUTCH_TERMS, "floor_price": "42.50"})
    rows = dutch.schedule(offer)
    assert rows[-2:] == [
        (START + timedelta(minutes=11), Decimal("45.00")),
        (START + timedelta(minutes=12), Decimal("42.50")),
    ]


def test_dutch_schedule_stops_at_the_end_of_the_auction():
    offer = make_offer("dutch_auction", DUTCH_TERMS, ends_at=START + timedelta(seconds=180))
    rows = dutch.schedule(offer)
    assert [price for _at, price in rows] == [Decimal("100.00"), Decimal("95.00"), Decimal("90.00")]


# --- Group-buy: tiers ---------------------------------------------------------------------------

group = get_kind("group_buy")


@pytest.mark.parametrize(
    ("committed", "price"),
    [
        (0, "20.00"),
        (9, "20.00"),
        (10, "20.00"),
        (11, "20.00"),
        (29, "20.00"),
        (30, "18.00"),
        (31, "18.00"),
        (49, "18.00"),
        (50, "15.00"),
        (51, "15.00"),
        (10_000, "15.00"),
    ],
)
def test_group_buy_price_for_committed_quantity(committed, price):
    offer = make_offer("group_buy", GROUP_TERMS, sold=committed)
    assert group.price_for_quantity(offer, committed) == Decimal(price)
    assert group.unit_price(offer, START) == Decimal(price)  # the live price follows the units committed


@pytest.mark.parametrize(
    ("committed", "reached", "current", "next_"),
    [
        (0, False, None, {"min_quantity": 30, "unit_price": "18.00"}),
        (9, False, None, {"min_quantity": 30, "unit_price": "18.00"}),
        (10, True, None, {"min_quantity": 30, "unit_price": "18.00"}),
        (29, True, None, {"min_quantity": 30, "unit_price": "18.00"}),
        (30, True, {"min_quantity": 30, "unit_price": "18.00"}, {"min_quantity": 50, "unit_price": "15.00"}),
        (49, True, {"min_quantity": 30, "unit_price": "18.00"}, {"min_quantity": 50, "unit_price": "15.00"}),
        (50, True, {"min_quantity": 50, "unit_price": "15.00"}, None),
        (80, True, {"min_quantity": 50, "unit_price": "15.00"}, None),
    ],
)
def test_group_buy_live_state(committed, reached, current, next_):
    offer = make_offer("group_buy", GROUP_TERMS, sold=committed)
    state = group.live_state(offer, START)
    assert state["min_quantity"] == 10
    assert state["reached"] is reached
    assert group.reached(offer) is reached
    assert tier(state["current_tier"]) == current
    assert tier(state["next_tier"]) == next_
    assert [tier(t) for t in state["tiers"]] == GROUP_TERMS["tiers"]


def tier(shown):
    """A tier as the live state shows it, reduced to what defines it."""
    return None if shown is None else {"min_quantity": shown["min_quantity"], "unit_price": shown["unit_price"]}


def test_group_buy_closes_as_succeeded_at_the_minimum_and_failed_below_it():
    assert group.close_status(make_offer("group_buy", GROUP_TERMS, sold=10)) == Offer.Status.SUCCEEDED
    assert group.close_status(make_offer("group_buy", GROUP_TERMS, sold=9)) == Offer.Status.FAILED


def test_group_buy_without_tiers_keeps_its_base_price():
    offer = make_offer("group_buy", {"unit_price": "19.90", "min_quantity": 5}, sold=500)
    assert group.unit_price(offer, START) == Decimal("19.90")
    state = group.live_state(offer, START)
    assert (state["current_tier"], state["next_tier"], state["tiers"]) == (None, None, [])


# --- Flash sale ---------------------------------------------------------------------------------

flash = get_kind("flash_sale")


def test_flash_sale_price_is_fixed_whatever_the_time():
    offer = make_offer("flash_sale", {"unit_price": "9.90"}, stock=5)
    for at in (START - timedelta(days=1), START, START + timedelta(hours=23)):
        assert flash.unit_price(offer, at) == Decimal("9.90")


@pytest.mark.parametrize(("sold", "status"), [(0, "closed"), (4, "closed"), (5, "sold_out")])
def test_flash_sale_closes_as_sold_out_only_when_every_unit_went(sold, status):
    assert flash.close_status(make_offer("flash_sale", {"unit_price": "9.90"}, stock=5, sold=sold)) == status


# --- Terms validation: amounts (every kind) --------------------------------------------------------

AMOUNT_FIELDS = [
    ("group_buy", GROUP_TERMS, "unit_price"),
    ("flash_sale", {"unit_price": "9.90"}, "unit_price"),
    ("dutch_auction", DUTCH_TERMS, "start_price"),
    ("dutch_auction", DUTCH_TERMS, "step"),
]


@pytest.mark.parametrize(("kind", "terms", "field"), AMOUNT_FIELDS)
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "must be greater than 0"),
        ("-5.00", "must be greater than 0"),
        ("1.234", "EUR takes at most 2 decimals"),
        (0.1 + 0.2, "EUR takes at most 2 decimals"),
        ("cheap", "use the digits 0-9 and an optional '.', e.g. 19.90"),
        ("1e1", "use the digits 0-9 and an optional '.', e.g. 19.90"),
        (None, "not a number"),
    ],
)
def test_amounts_must_be_positive_with_at_most_the_currency_s_decimals(kind, terms, field, value, message):
    fields = terms_error(kind, {**terms, field: value})
    assert fields == {f"terms.{field}": [message]}


@pytest.mark.parametrize(("kind", "terms", "field"), AMOUNT_FIELDS)
def test_missing_amount_is_required(kind, terms, field):
    fields = terms_error(kind, {k: v for k, v in terms.items() if k != field})
    assert fields[f"terms.{field}"] == ["required"]


@pytest.mark.parametrize(("value", "stored"), [("1.5", "1.50"), (1.5, "1.50"), (2, "2.00"), ("2.00", "2.00")])
def test_amounts_are_accepted_as_strings_floats_and_ints_and_stored_with_the_currency_s_decimals(value, stored):
    assert flash.clean_terms({"unit_price": value}, currency="EUR")["unit_price"] == stored
    assert dutch.clean_terms({**DUTCH_TERMS, "floor_price": value}, currency="EUR")["floor_price"] == stored
    assert group.clean_terms({**GROUP_TERMS, "tiers": [], "unit_price": value}, currency="EUR")["unit_price"] == stored


# --- Terms validation: flash sale ---------------------------------------------------------------


def test_flash_terms_are_stored_normalised_with_the_default_reservation():
    assert flash.clean_terms({"unit_price": 9.9}, currency="EUR") == {"unit_price": "9.90", "reservation_minutes": 15}


@pytest.mark.parametrize(("kind", "base"), [("flash_sale", {"unit_price": "9.90"}), ("dutch_auction", DUTCH_TERMS)])
@pytest.mark.parametrize(("value", "stored"), [(1, 1), ("30", 30), (7 * 24 * 60, 7 * 24 * 60)])
def test_reservation_minutes_within_bounds_are_accepted(kind, base, value, stored):
    assert (
        get_kind(kind).clean_terms({**base, "reservation_minutes": value}, currency="EUR")["reservation_minutes"]
        == stored
    )


@pytest.mark.parametrize(("kind", "base"), [("flash_sale", {"unit_price": "9.90"}), ("dutch_auction", DUTCH_TERMS)])
@pytest.mark.parametrize("value", [0, -1, 7 * 24 * 60 + 1, 2.5, "ten", True, ""])
def test_reservation_minutes_out_of_bounds_or_not_whole_are_refused(kind, base, value):
    fields = terms_error(kind, {**base, "reservation_minutes": value})
    assert list(fields) == ["terms.reservation_minutes"]


# --- Terms validation: Dutch auction ------------------------------------------------------------


def test_dutch_terms_are_stored_normalised():
    assert dutch.clean_terms(
        {"start_price": 100, "floor_price": "40", "step": 5.5, "step_seconds": "60", "reservation_minutes": 10},
        currency="EUR",
    ) == {
        "start_price": "100.00",
        "floor_price": "40.00",
        "step": "5.50",
        "step_seconds": 60,
        "reservation_minutes": 10,
    }


@pytest.mark.parametrize("floor", ["100.00", "100.01", "250"])
def test_dutch_floor_must_be_below_the_start(floor):
    fields = terms_error("dutch_auction", {**DUTCH_TERMS, "floor_price": floor})
    assert fields == {"terms.floor_price": ["must be lower than start_price"]}


def test_dutch_floor_just_below_the_start_is_accepted():
    assert dutch.clean_terms({**DUTCH_TERMS, "floor_price": "99.99"}, currency="EUR")["floor_price"] == "99.99"


@pytest.mark.parametrize("step", ["0", "0.00", "-1"])
def test_dutch_step_must_be_positive(step):
    assert terms_error("dutch_auction", {**DUTCH_TERMS, "step": step}) == {"terms.step": ["must be greater than 0"]}


@pytest.mark.parametrize("seconds", [0, -60, 7 * 24 * 3600 + 1, 1.5, "soon", True, None])
def test_dutch_step_seconds_must_be_a_whole_number_of_at_least_one(seconds):
    assert list(terms_error("dutch_auction", {**DUTCH_TERMS, "step_seconds": seconds})) == ["terms.step_seconds"]


@pytest.mark.parametrize("seconds", [1, "1", 7 * 24 * 3600])
def test_dutch_step_seconds_bounds_are_accepted(seconds):
    assert dutch.clean_terms({**DUTCH_TERMS, "step_seconds": seconds}, currency="EUR")["step_seconds"] == int(seconds)


def test_dutch_reports_every_problem_at_once():
    fields = terms_error("dutch_auction", {"start_price": "10.001", "floor_price": "x", "step": "0"})
    assert set(fields) == {"terms.start_price", "terms.floor_price", "terms.step", "terms.step_seconds"}


# --- Terms validation: group-buy ----------------------------------------------------------------


def test_group_terms_are_stored_normalised():
    assert group.clean_terms(
        {"unit_price": 20, "min_quantity": "10", "tiers": [{"min_quantity": "30", "unit_price": 18.5}]}, currency="EUR"
    ) == {
        "unit_price": "20.00",
        "min_quantity": 10,
        "tiers": [{"min_quantity": 30, "unit_price": "18.50"}],
        "lock_when_reached": False,
    }


@pytest.mark.parametrize("value", [0, -3, 1.5, "ten", True, None])
def test_group_min_quantity_must_be_a_whole_number_of_at_least_one(value):
    assert list(terms_error("group_buy", {**GROUP_TERMS, "tiers": [], "min_quantity": value})) == ["terms.min_quantity"]


def test_group_min_quantity_of_one_is_accepted():
    assert group.clean_terms({"unit_price": "5", "min_quantity": 1}, currency="EUR")["min_quantity"] == 1


@pytest.mark.parametrize(
    ("tiers", "errors"),
    [
        # the first tier must be above min_quantity (10) and below the base price (20.00)
        ([{"min_quantity": 10, "unit_price": "18.00"}], {"terms.tiers.0.min_quantity"}),
        ([{"min_quantity": 5, "unit_price": "18.00"}], {"terms.tiers.0.min_quantity"}),
        ([{"min_quantity": 30, "unit_price": "20.00"}], {"terms.tiers.0.unit_price"}),
        ([{"min_quantity": 30, "unit_price": "25.00"}], {"terms.tiers.0.unit_price"}),
        # each further tier: strictly more units, strictly lower price
        (
            [{"min_quantity": 30, "unit_price": "18.00"}, {"min_quantity": 30, "unit_price": "15.00"}],
            {"terms.tiers.1.min_quantity"},
        ),
        (
            [{"min_quantity": 30, "unit_price": "18.00"}, {"min_quantity": 20, "unit_price": "15.00"}],
            {"terms.tiers.1.min_quantity"},
        ),
        (
            [{"min_quantity": 30, "unit_price": "18.00"}, {"min_quantity": 50, "unit_price": "18.00"}],
            {"terms.tiers.1.unit_price"},
        ),
        (
            [{"min_quantity": 30, "unit_price": "18.00"}, {"min_quantity": 50, "unit_price": "19.00"}],
            {"terms.tiers.1.unit_price"},
        ),
        (
            [{"min_quantity": 30, "unit_price": "18.00"}, {"min_quantity": 50, "unit_price": "15.005"}],
            {"terms.tiers.1.unit_price"},
        ),
        (
            [{"min_quantity": 30, "unit_price": "18.00"}, {"min_quantity": 50, "unit_price": "0"}],
            {"terms.tiers.1.unit_price"},
        ),
        (
            [{"min_quantity": 30, "unit_price": "18.00"}, {"min_quantity": 50}],
            {"terms.tiers.1.unit_price"},
        ),
        (
            [{"min_quantity": 30, "unit_price": "18.00"}, {"min_quantity": "fifty", "unit_price": "15.00"}],
            {"terms.tiers.1.min_quantity"},
        ),
        ([{"min_quantity": 30, "unit_price": "18.00"}, "50 at 15"], {"terms.tiers.1"}),
        ({"min_quantity": 30, "unit_price": "18.00"}, {"terms.tiers"}),
        # a tier both too small and too dear: both fields are named
        ([{"min_quantity": 3, "unit_price": "21.00"}], {"terms.tiers.0.min_quantity", "terms.tiers.0.unit_price"}),
    ],
)
def test_group_tiers_rise_in_quantity_and_fall_strictly_in_price(tiers, errors):
    assert set(terms_error("group_buy", {**GROUP_TERMS, "tiers": tiers})) == errors


def test_group_tier_error_messages_say_what_is_wrong():
    fields = terms_error(
        "group_buy",
        {
            **GROUP_TERMS,
            "tiers": [{"min_quantity": 30, "unit_price": "18.00"}, {"min_quantity": 40, "unit_price": "18"}],
        },
    )
    assert fields == {"terms.tiers.1.unit_price": ["tiers must fall strictly in price"]}


@pytest.mark.parametrize("lock", ["yes", 1, "true", None])
def test_group_lock_when_reached_must_be_a_boolean(lock):
    assert list(terms_error("group_buy", {**GROUP_TERMS, "lock_when_reached": lock})) == ["terms.lock_when_reached"]


def test_group_lock_when_reached_is_kept():
    assert group.clean_terms({**GROUP_TERMS, "lock_when_reached": True}, currency="EUR")["lock_when_reached"] is True


def test_group_reports_every_problem_at_once():
    fields = terms_error(
        "group_buy",
        {"unit_price": "0", "min_quantity": 0, "tiers": [{"min_quantity": 30, "unit_price": "1.001"}]},
    )
    assert set(fields) == {"terms.unit_price", "terms.min_quantity", "terms.tiers.0.unit_price"}
