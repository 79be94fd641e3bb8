"""Django validators made of the strict parsers, so the admin refuses what an import refuses."""

from django.core.exceptions import ValidationError

from arrears.core.parsing import (
    Invalid,
    parse_country,
    parse_currency,
    parse_language,
    parse_timezone,
)


def _check(parse, value) -> None:
    try:
        parse(value)
    except Invalid as exc:
        raise ValidationError(str(exc)) from None


def validate_country(value: str) -> None:
    _check(parse_country, value)


def validate_currency(value: str) -> None:
    _check(parse_currency, value)


def validate_timezone(value: str) -> None:
    _check(parse_timezone, value)


def validate_language(value: str) -> None:
    _check(parse_language, value)
