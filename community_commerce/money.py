"""Money: Decimal amounts in each currency's own minor units.

Currencies, their decimals and their localized spelling come from CLDR through
Babel, not from a list of our own:

* ``CURRENCIES``: the codes a price may be in, ISO 4217 currencies that are legal
  tender in some territory today. Funds and units of account (CLF, USN, XDR...),
  precious metals (XAU, XAG...), the test and "no currency" codes (XTS, XXX) and
  currencies withdrawn from use (DEM, HRK, ANG...) are left out.
* ``decimals(currency)``: its minor units, CLDR's (``get_currency_precision``):
  0 for JPY and KRW, 2 for CNY, EUR and USD, 3 for BHD and KWD. CLDR follows
  ISO 4217 except where the minor unit is out of everyday use (it gives 0 for
  IQD, RSD, ...), which is what a buyer pays in.
* ``format_money``: the amount as the reader's language writes it (¥1,500, €19.90).

An amount that comes in is parsed by ``parse_amount`` alone: plain ASCII decimals
(digits, optionally a '.' and more digits), whitespace around them ignored, no sign,
no exponent, no '_' and no digits of other scripts, at most the currency's decimals.
Any sum or product in a price is rounded to the currency's decimals with
ROUND_HALF_UP (``round_amount``), as on a receipt.
"""

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache, lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import format_currency, get_currency_precision, get_territory_currencies
from django.utils.translation import get_language, ngettext, to_locale
from django.utils.translation import gettext as _

MAX_AMOUNT = Decimal("1e10")  # exclusive; the columns hold 10 digits before the point
MAX_DECIMALS = 3  # the most any of CURRENCIES takes; the columns hold this many


def _active_currencies(today: date) -> frozenset[str]:
    tender = set()
    for territory in get_global("territory_currencies"):
        tender.update(get_territory_currencies(territory, start_date=today, tender=True, non_tender=False))
    return frozenset(tender)


CURRENCIES = _active_currencies(date.today())


@cache
def decimals(currency: str) -> int:
    """The currency's minor units (CLDR); 2 for a code CLDR does not know."""
    return get_currency_precision(currency)


def quantum(currency: str) -> Decimal:
    """The currency's smallest unit: Decimal("1"), ("0.01"), ("0.001")."""
    return Decimal(1).scaleb(-decimals(currency))


def round_amount(amount, currency: str) -> Decimal:
    """``amount`` in the currency's decimals, rounded half up (1.005 EUR -> 1.01)."""
    return Decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def parse_currency(value) -> str:
    """An allowed currency code ("eur " -> "EUR"), or ValueError with a reason."""
    code = str(value or "").strip().upper()
    if code not in CURRENCIES:
        raise ValueError(_("Give a known ISO 4217 currency code, such as EUR."))
    return code


_PLAIN = re.compile(r"(-?)([0-9]*)(?:\.([0-9]*))?")


def _spelling(value) -> str:
    """What the parser reads: a string as typed, a JSON number or Decimal as its plain digits."""
    if isinstance(value, bool):  # JSON true/false: not an amount
        raise ValueError(_("not a number"))
    if isinstance(value, float):
        # Never trust binary floats for money: their shortest decimal spelling, written out.
        value = Decimal(repr(value)) if value == value and abs(value) != float("inf") else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(_("not a number"))
        return f"{value:f}"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(_("not a number"))
    return value.strip()


def parse_amount(value, currency: str | None = None) -> Decimal:
    """A positive amount with at most the currency's decimals, as a Decimal with
    exactly that many places, or ValueError with a reason the merchant can act on.

    ``currency`` None (the currency itself is wrong) checks all but the decimals."""
    text = _spelling(value)
    match = _PLAIN.fullmatch(text)
    if not text or text in ("-", ".", "-.") or match is None:
        raise ValueError(_("use the digits 0-9 and an optional '.', e.g. 19.90"))
    sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
    try:
        amount = Decimal(f"{whole or '0'}.{fraction or '0'}")
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise ValueError(_("not a number")) from None
    if sign or amount == 0:
        raise ValueError(_("must be greater than 0"))
    if amount >= MAX_AMOUNT:
        raise ValueError(_("too large"))
    if currency is None:
        return amount
    places = decimals(currency)
    if len(fraction.rstrip("0")) > places:
        if places == 0:
            raise ValueError(_("%(currency)s takes no decimals") % {"currency": currency})
        raise ValueError(
            ngettext(
                "%(currency)s takes at most %(places)d decimal",
                "%(currency)s takes at most %(places)d decimals",
                places,
            )
            % {"currency": currency, "places": places}
        )
    return amount.quantize(quantum(currency))


def fmt(amount, currency: str) -> str | None:
    """Amounts in the API and in stored terms: a string with the currency's decimals
    ("1500" JPY, "19.90" EUR, "1.250" BHD)."""
    return None if amount is None else str(round_amount(amount, currency))


@lru_cache(maxsize=64)
def babel_locale(language: str | None) -> Locale:
    """The Babel locale of a Django language code ("zh-hans" -> zh_Hans), English when unknown."""
    try:
        return Locale.parse(to_locale(language or "en"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def format_money(amount, currency: str, language: str | None = None) -> str:
    """``amount`` as a reader of ``language`` (default: the active one) writes it,
    in the currency's decimals: ¥1,500 and €19.90 in English, JP¥1,500 in Chinese."""
    if amount in (None, ""):
        return ""
    try:
        value = round_amount(Decimal(str(amount)), currency)
    except (InvalidOperation, ValueError):
        return str(amount)
    return format_currency(value, currency, locale=babel_locale(language or get_language()), currency_digits=True)


_WHOLE = re.compile(r"[0-9]{1,9}")


def parse_whole(value) -> int | None:
    """A non-negative whole number of at most nine ASCII digits, else None.
    (``str.isdigit`` accepts '²' and 5000-digit strings that ``int()`` then refuses.)"""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**9 else None
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    return None
