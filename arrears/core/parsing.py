"""Strict parsers for values that come from files and the command line.

Each takes a string and returns a value or raises `Invalid` with a reason a person can act on.
Nothing is guessed: `1,234.50`, `3/4/2026` and `yes please` are errors, not interpretations.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError

from arrears.core.money import minor_units


class Invalid(ValueError):
    """The value cannot be used; the message says why."""


_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")


def parse_date(text: str) -> date:
    """ISO 8601 calendar date, YYYY-MM-DD."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise Invalid(f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text!r} is not a real date") from None


def parse_decimal(text: str, *, places: int | None = None, what: str = "number") -> Decimal:
    """A plain decimal with `.` as the separator: `1234.50`, `-3`, never `1,234.50` or `1e3`."""
    if not _DECIMAL.fullmatch(text):
        hint = " (no thousands separators; use . for decimals)" if "," in text else ""
        raise Invalid(f"{text!r} is not a plain decimal {what}{hint}")
    if places is not None:
        dot = text.find(".")
        if dot >= 0 and len(text) - dot - 1 > places:
            raise Invalid(f"{text!r} has more than {places} decimal places")
    return Decimal(text)  # the pattern admits only valid literals


def parse_amount(text: str, currency: str, *, allow_zero: bool = False) -> Decimal:
    """A money amount in `currency`, with no more decimals than its minor unit allows."""
    value = parse_decimal(text, places=minor_units(currency), what="amount")
    if value < 0 or (value == 0 and not allow_zero):
        raise Invalid(f"{text!r}: the amount must be {'zero or ' if allow_zero else ''}positive")
    return value


def parse_int(text: str, *, low: int | None = None, high: int | None = None) -> int:
    if not re.fullmatch(r"-?[0-9]+", text):
        raise Invalid(f"{text!r} is not a whole number")
    value = int(text)
    if low is not None and value < low:
        raise Invalid(f"{value} is below the minimum of {low}")
    if high is not None and value > high:
        raise Invalid(f"{value} is above the maximum of {high}")
    return value


def parse_yes_no(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered == "yes":
        return True
    if lowered == "no":
        return False
    raise Invalid(f"{text!r}: expected yes or no")


def parse_email(text: str) -> str:
    if not _EMAIL.fullmatch(text):
        raise Invalid(f"{text!r} is not an email address")
    return text


@lru_cache(maxsize=4096)
def parse_country(text: str) -> str:
    """ISO 3166-1 alpha-2 (`DE`) or an ISO 3166-2 subdivision (`DE-BY`, `GB-ENG`, `US-NY`)."""
    import pycountry  # here: its tables take a while to import, and few commands need them

    code = text.strip().upper()
    if "-" in code:
        country = code.split("-", 1)[0]
        if pycountry.countries.get(alpha_2=country) is None:
            raise Invalid(f"{text!r}: {country!r} is not an ISO 3166-1 country code")
        if pycountry.subdivisions.get(code=code) is None:
            raise Invalid(f"{text!r} is not an ISO 3166-2 subdivision of {country}")
        return code
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise Invalid(f"{text!r} is not an ISO 3166-1 alpha-2 country code (e.g. GB, DE, US)")
    return code


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


def parse_currency(text: str) -> str:
    code = text.strip().upper()
    if code not in _currencies():
        raise Invalid(f"{text!r} is not an ISO 4217 currency code (e.g. EUR, GBP, USD)")
    return code


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_timezone(text: str) -> str:
    if text not in _timezones():
        raise Invalid(f"{text!r} is not an IANA time zone (e.g. Europe/Berlin)")
    return text


@lru_cache(maxsize=256)
def parse_language(text: str) -> str:
    """A language tag Babel knows: `en`, `de`, `fr`, `en-GB` (stored as `en_GB`)."""
    try:
        locale = Locale.parse(text.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise Invalid(f"{text!r} is not a known language (e.g. en, de, fr, en-GB)") from None
    return str(locale)


def parse_choice(text: str, choices: tuple[str, ...] | list[str]) -> str:
    if text not in choices:
        raise Invalid(f"{text!r}: expected one of {', '.join(choices)}")
    return text
