"""Money rounds half-up to the currency's minor unit, and never accepts a float."""

from decimal import Decimal

import pytest

from arrears.core.money import Money, format_money, minor_units, round_money


def test_minor_units_follow_the_currency():
    assert (minor_units("GBP"), minor_units("JPY"), minor_units("BHD")) == (2, 0, 3)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.005", "GBP", "0.01"),
        ("0.004", "GBP", "0.00"),
        ("-0.005", "EUR", "-0.01"),
        ("2.5", "JPY", "3"),
        ("1.0005", "BHD", "1.001"),
        ("1234.565", "USD", "1234.57"),
    ],
)
def test_it_rounds_half_up_to_the_minor_unit(amount, currency, expected):
    assert round_money(Decimal(amount), currency) == Decimal(expected)
    assert str(round_money(Decimal(amount), currency)) == expected


def test_money_refuses_a_float():
    with pytest.raises(TypeError):
        Money(0.1, "GBP")


def test_money_refuses_to_mix_currencies():
    with pytest.raises(ValueError):
        Money(Decimal(1), "GBP") + Money(Decimal(1), "EUR")


def test_money_adds_exactly():
    total = Money.zero("EUR")
    for _ in range(10):
        total = total + Money(Decimal("0.10"), "EUR")
    assert total == Money(Decimal("1.00"), "EUR")


def test_money_is_formatted_for_the_reader():
    assert format_money(Decimal("1234.5"), "GBP", "en_GB") == "£1,234.50"
    assert format_money(Decimal("1234.5"), "EUR", "de") == "1.234,50\xa0€"
    assert format_money(Decimal("1234.5"), "EUR", "fr").replace("\u202f", " ") == "1 234,50\xa0€"
