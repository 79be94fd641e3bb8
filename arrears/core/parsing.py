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

# The dates a ledger may hold. Outside them a date is a typo (9999-12-31, 0001-01-01), and date
# arithmetic downstream (a due date plus the ladder's offsets, a calendar's holidays) overflows.
FIRST_DATE = date(1990, 1, 1)
LAST_DATE = date(2100, 12, 31)

# The largest amount a ledger holds: below 10^12 in any currency, so that a money column (the
# value x 10^4 in a signed 64-bit integer, at most about 9.2 x 10^14) and the sums of a
# client's or a ledger's rows stay exact on every database.
MAX_AMOUNT = Decimal(10) ** 12

# Control characters: C0 (NUL..US), DEL and C1, and the Unicode line and paragraph separators.
# A value from a file must never turn into header syntax (CR LF) or end a string early (NUL).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Free text (a description, a reason) may hold tabs and line breaks; nothing else.
_CONTROL_IN_FREE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]|\r(?!\n)")

_NAMES = {0: "NUL", 9: "TAB", 10: "LF, a line feed", 13: "CR, a carriage return", 0x7F: "DEL"}


def _control_name(char: str) -> str:
    code = ord(char)
    return _NAMES.get(code, f"U+{code:04X}")


def check_text(text: str, *, free: bool = False) -> str:
    """Refuse control characters: none at all in a one-line value (an id, a name, an email
    address, a reference); a tab or a line break is allowed in free text."""
    found = (_CONTROL_IN_FREE_TEXT if free else _CONTROL).search(text)
    if found:
        rule = (
            "free text may hold tabs and line breaks, no other control characters"
            if free
            else "this value must be one line of printable text"
        )
        raise Invalid(
            f"contains a control character ({_control_name(found.group())}) at character "
            f"{found.start() + 1}; {rule}"
        )
    return text


def parse_date(text: str) -> date:
    """ISO 8601 calendar date, YYYY-MM-DD."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise Invalid(f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text!r} is not a real date") from None


def check_ledger_date(value: date) -> date:
    """A date a ledger may hold: from FIRST_DATE to LAST_DATE."""
    if not FIRST_DATE <= value <= LAST_DATE:
        raise Invalid(
            f"{value.isoformat()} is outside the dates a ledger holds "
            f"({FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()})"
        )
    return value


def parse_ledger_date(text: str) -> date:
    """An ISO date within the ledger's window (invoices, payments, contracts, time entries)."""
    return check_ledger_date(parse_date(text))


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
    return check_amount_size(value, text)


def check_amount_size(value: Decimal, text: str | None = None) -> Decimal:
    """Refuse an amount (or a rate) at or above MAX_AMOUNT: the ledger cannot hold it exactly."""
    if abs(value) >= MAX_AMOUNT:
        raise Invalid(
            f"{text if text is not None else value!s}: too large; amounts are below "
            f"{MAX_AMOUNT:,} (one trillion)"
        )
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
    check_text(text)
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
