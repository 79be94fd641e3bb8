"""Values from files are parsed strictly: nothing is guessed."""

from datetime import date
from decimal import Decimal

import pytest

from arrears.core.parsing import (
    Invalid,
    parse_amount,
    parse_country,
    parse_currency,
    parse_date,
    parse_decimal,
    parse_language,
    parse_timezone,
    parse_yes_no,
)


def test_dates_are_iso_calendar_dates():
    assert parse_date("2026-04-03") == date(2026, 4, 3)
    for bad in ("03/04/2026", "2026-4-3", "20260403", "2026-02-30", "2026-W14-5", ""):
        with pytest.raises(Invalid):
            parse_date(bad)


def test_amounts_are_plain_decimals_within_the_minor_unit():
    assert parse_amount("1234.50", "GBP") == Decimal("1234.50")
    assert parse_amount("1000", "JPY") == Decimal("1000")
    with pytest.raises(Invalid, match="thousands separators"):
        parse_amount("1,234.50", "GBP")
    for bad in ("1e3", "12.345", "-5", "0", "£12", " 12", "12.", ".5"):
        with pytest.raises(Invalid):
            parse_amount(bad, "GBP")
    with pytest.raises(Invalid):
        parse_amount("10.5", "JPY")


def test_decimals_keep_their_digits():
    assert str(parse_decimal("7.50")) == "7.50"


def test_countries_and_subdivisions():
    assert parse_country("de") == "DE"
    assert parse_country("GB-ENG") == "GB-ENG"
    assert parse_country("US-NY") == "US-NY"
    assert parse_country("DE-BY") == "DE-BY"
    for bad in ("UK", "XX", "GB-XYZ", "Germany", "DEU"):
        with pytest.raises(Invalid):
            parse_country(bad)


def test_currencies_time_zones_languages_flags():
    assert parse_currency("eur") == "EUR"
    with pytest.raises(Invalid):
        parse_currency("EURO")
    assert parse_timezone("Europe/Berlin") == "Europe/Berlin"
    with pytest.raises(Invalid):
        parse_timezone("CET+1")
    assert parse_language("en-GB") == "en_GB"
    with pytest.raises(Invalid):
        parse_language("klingon")
    assert parse_yes_no("Yes") is True and parse_yes_no("no") is False
    with pytest.raises(Invalid):
        parse_yes_no("y")
