"""Money: a Decimal amount with its currency. Rounded only at the edges, half-up to the
currency's minor unit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache

from babel.numbers import format_currency, get_currency_precision


@cache
def minor_units(currency: str) -> int:
    """Digits after the decimal point in the currency's minor unit (GBP 2, JPY 0, BHD 3)."""
    return get_currency_precision(currency)


@cache
def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the minor unit: 0.005 GBP -> 0.01, -0.005 -> -0.01."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money needs a Decimal amount, not {type(self.amount).__name__}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def rounded(self) -> Money:
        return Money(round_money(self.amount, self.currency), self.currency)

    def format(self, locale: str = "en") -> str:
        return format_money(self.amount, self.currency, locale)

    def __str__(self) -> str:
        return f"{round_money(self.amount, self.currency)} {self.currency}"


@lru_cache(maxsize=4096)  # a message shows each amount several times; Babel is slow at it
def format_money(amount: Decimal, currency: str, locale: str = "en") -> str:
    """`£1,234.50`, `1.234,50 €` (de), `1 234,50 €` (fr): for people, never for files."""
    return format_currency(round_money(amount, currency), currency, locale=locale)
