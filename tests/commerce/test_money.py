"""Money: amounts are Decimals with two places, parsed strictly, shown with two decimals."""

from decimal import Decimal

import pytest

from community_commerce.money import CURRENCIES, fmt, parse_amount


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19.90", Decimal("19.90")),
        ("19.9", Decimal("19.90")),
        (" 7.5 ", Decimal("7.50")),
        ("20", Decimal("20.00")),
        (20, Decimal("20.00")),
        (19.9, Decimal("19.90")),  # a float is read by its shortest spelling, not its binary value
        (0.01, Decimal("0.01")),
        (Decimal("3"), Decimal("3.00")),
        ("9999999999.99", Decimal("9999999999.99")),
    ],
)
def test_parse_amount_accepts_positive_amounts_with_at_most_two_decimals(raw, expected):
    amount = parse_amount(raw)
    assert isinstance(amount, Decimal)
    assert amount == expected
    assert amount.as_tuple().exponent == -2  # always two places, so 20 is stored and shown as 20.00


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("0", "must be greater than 0"),
        (0, "must be greater than 0"),
        ("0.00", "must be greater than 0"),
        ("-1", "must be greater than 0"),
        (-19.9, "must be greater than 0"),
        ("19.999", "at most two decimals"),
        ("0.001", "at most two decimals"),
        (0.1 + 0.2, "at most two decimals"),  # 0.30000000000000004: binary noise is refused, not rounded away
        ("10000000000", "too large"),
        ("1e30", "too large"),
        ("12345678901.234", "too large"),
        ("abc", "not a number"),
        ("", "not a number"),
        ("   ", "not a number"),
        (None, "not a number"),
        (True, "not a number"),
        ("NaN", "not a number"),
        ("Infinity", "not a number"),
        ("1,50", "not a number"),
    ],
)
def test_parse_amount_refuses_with_a_reason(raw, reason):
    with pytest.raises(ValueError) as exc:
        parse_amount(raw)
    assert str(exc.value) == reason


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (None, None),
        (Decimal("5"), "5.00"),
        (Decimal("19.9"), "19.90"),
        (Decimal("1.005"), "1.01"),  # half up, as on a receipt
        (Decimal("1.004"), "1.00"),
        (3, "3.00"),
        (Decimal("0.10") * 3, "0.30"),
    ],
)
def test_fmt_shows_two_decimals(amount, shown):
    assert fmt(amount) == shown


def test_currencies_are_iso_4217_codes():
    assert {"EUR", "USD", "GBP", "JPY", "CHF"} <= CURRENCIES
    assert all(len(code) == 3 and code.isupper() for code in CURRENCIES)
    assert "EURO" not in CURRENCIES
    assert "XXX" not in CURRENCIES  # "no currency" is not a price currency
