"""Exact decimals on every database.

Django's DecimalField is stored as REAL on SQLite (NUMERIC affinity), and SQLite's SUM() of
those adds floats. `FixedDecimalField` stores a Decimal as a scaled 64-bit integer instead
(1234.50 with 4 places is 12345000), so storage and SUM() are exact on SQLite and PostgreSQL
alike. Adding and subtracting such columns in SQL is exact; multiplying two of them is not
meaningful (the scales multiply), so products are computed in Python.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core import checks, exceptions
from django.db import models

_INT64 = 2**63 - 1


class FixedDecimalField(models.BigIntegerField):
    description = "Decimal stored as a scaled integer"

    def __init__(self, *args, decimal_places: int = 4, **kwargs):
        self.decimal_places = decimal_places
        self._scale = 10**decimal_places
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["decimal_places"] = self.decimal_places
        return name, path, args, kwargs

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if not 0 <= self.decimal_places <= 8:
            errors.append(checks.Error("decimal_places must be 0..8", obj=self, id="ledger.E001"))
        return errors

    @property
    def validators(self):  # the integer range of the scaled value, checked in get_prep_value
        return list(self.default_validators) + list(self._validators)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return tidy(Decimal(int(value)).scaleb(-self.decimal_places))

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float):
            raise exceptions.ValidationError("a float cannot hold money exactly", code="invalid")
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise exceptions.ValidationError(
                f"{value!r} is not a decimal", code="invalid"
            ) from None

    def get_prep_value(self, value):
        if value is None or hasattr(value, "resolve_expression"):
            return value
        value = self.to_python(value)
        scaled = value.scaleb(self.decimal_places)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.decimal_places} decimal places")
        as_int = int(scaled)
        if abs(as_int) > _INT64:
            raise ValueError(f"{value} is too large")
        return as_int

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs):
        return forms.DecimalField(
            **{"decimal_places": self.decimal_places, "required": not self.blank, **kwargs}
        )


def tidy(value: Decimal) -> Decimal:
    """Without trailing zeros and never in exponent form: 40.0000 -> 40, 12.5000 -> 12.5."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def money_field(**kwargs) -> FixedDecimalField:
    """An amount of money (up to 4 decimals; input is checked against the currency's minor unit)."""
    return FixedDecimalField(decimal_places=4, **kwargs)
