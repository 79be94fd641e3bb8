"""Exchange rates: a figure in another currency, at a rate that is stated next to it.

A `Rate` says 1 `base` = `rate` `quote` on a day (the ECB publishes rates per 1 EUR, so the
ECB file gives EUR->USD, EUR->JPY, ...). `Rates` holds such rows and converts with the
latest rate on or before the day asked for (no rate is published at weekends or on TARGET
holidays). A pair that is not in the table is found through its inverse or through a common
base (USD -> GBP through EUR); the rate used is then rounded to `SIGNIFICANT` significant
digits and the conversion is done with that stated rate, so that anyone can redo it on paper:
amount x stated rate, rounded half-up to the target currency's minor unit.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from arrears.core.money import Money, round_money

SIGNIFICANT = 6  # digits of a derived (inverse or cross) rate; published rates are kept as is


class NoRate(LookupError):
    """No rate for the pair on or before the day: the caller says so rather than guess."""


@dataclass(frozen=True, slots=True)
class Rate:
    base: str
    quote: str
    on: date
    rate: Decimal  # 1 base = rate quote
    source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.rate, Decimal):
            raise TypeError(f"a rate is a Decimal, not {type(self.rate).__name__}")
        if self.rate <= 0:
            raise ValueError(f"a rate must be positive: {self.base}/{self.quote} {self.rate}")


@dataclass(frozen=True, slots=True)
class Converted:
    """`money` is the converted figure; `rate` (1 `source_currency` = rate target) and
    `rate_date` are what to print beside it."""

    money: Money
    original: Money
    rate: Decimal
    rate_date: date
    source: str = ""

    def statement(self) -> str:
        """`at 1 USD = 0.925926 EUR (2026-11-20)` — words to print next to the figure."""
        if self.original.currency == self.money.currency:
            return ""
        return (
            f"at 1 {self.original.currency} = {_plain(self.rate)} {self.money.currency}"
            f" ({self.rate_date.isoformat()})"
        )


def _plain(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _significant(value: Decimal, digits: int = SIGNIFICANT) -> Decimal:
    if value == 0:
        return value
    exponent = value.adjusted() - digits + 1
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rates:
    """A table of rates. Build it with `Rates.of(rows)`; it is never changed afterwards."""

    _by_pair: dict[tuple[str, str], tuple[Rate, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[Rate]) -> Rates:
        grouped: dict[tuple[str, str], dict[date, Rate]] = {}
        for row in rows:
            grouped.setdefault((row.base, row.quote), {})[row.on] = row  # the last one wins
        return cls(
            {
                pair: tuple(sorted(days.values(), key=lambda r: r.on))
                for pair, days in grouped.items()
            }
        )

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_pair.values())

    def rows(self) -> list[Rate]:
        """Every rate, by pair and day."""
        return [r for pair in sorted(self._by_pair) for r in self._by_pair[pair]]

    def currencies(self) -> set[str]:
        return {c for pair in self._by_pair for c in pair}

    def latest(self, base: str, quote: str, on: date) -> Rate | None:
        """The published rate for the pair in force on `on`: the last one dated on or before."""
        rows = self._by_pair.get((base, quote))
        if not rows:
            return None
        at = bisect.bisect_right([r.on for r in rows], on)
        return rows[at - 1] if at else None

    def rate(self, base: str, quote: str, on: date) -> tuple[Decimal, date, str]:
        """(rate, its date, its source) for 1 base in quote on the day, or NoRate."""
        if base == quote:
            return Decimal(1), on, ""
        direct = self.latest(base, quote, on)
        if direct:
            return direct.rate, direct.on, direct.source
        inverse = self.latest(quote, base, on)
        if inverse:
            return _significant(1 / inverse.rate), inverse.on, inverse.source
        # through a common base: 1 base = (hub->quote / hub->base) quote
        best = None
        for hub in sorted(self.currencies() - {base, quote}):
            leg_from = self.latest(hub, base, on)
            leg_to = self.latest(hub, quote, on)
            if leg_from and leg_to:
                day = min(leg_from.on, leg_to.on)  # the older leg dates the cross rate
                if best is None or day > best[1]:
                    best = (_significant(leg_to.rate / leg_from.rate), day, leg_to.source)
        if best is None:
            raise NoRate(f"no {base}/{quote} exchange rate on or before {on.isoformat()}")
        return best

    def convert(self, money: Money, to: str, on: date) -> Converted:
        rate, day, source = self.rate(money.currency, to, on)
        amount = round_money(money.amount * rate, to)
        return Converted(Money(amount, to), money, rate, day, source)


@dataclass(frozen=True, slots=True)
class Total:
    """A sum across currencies in one currency: each converted figure with its rate, and the
    currencies left out because no rate was known (the total then says it is partial)."""

    money: Money
    parts: tuple[Converted, ...]
    missing: tuple[str, ...]


def total_in(rates: Rates, amounts: Iterable[Money], to: str, on: date) -> Total:
    """Convert each amount (rounded at its own conversion) and add them up."""
    parts, missing, total = [], [], Money.zero(to)
    for money in amounts:
        try:
            converted = rates.convert(money, to, on)
        except NoRate:
            missing.append(money.currency)
            continue
        parts.append(converted)
        total = total + converted.money
    return Total(total, tuple(parts), tuple(missing))
