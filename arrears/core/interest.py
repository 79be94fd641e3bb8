"""Late-payment interest and compensation: the claim as a court would read it.

Rules (issue 5, docs/interest.md):

- Interest runs from the day after the due date (after the grace days, for a contractual
  clause that has them) up to and including the `until` day. A payment on day P lowers the
  principal from the day after P: a sum bears interest up to and including the day it is paid.
- Exact day counts. The day-count basis is a setting: actual/365 (the default; 365 in leap
  years too), actual/360, actual/actual (a day of a leap year counts 1/366).
- The claim is split into periods at the boundaries where the rate may change (each half-year
  for laws that follow the reference rate; the year end for actual/actual; each anniversary of
  the start for a law that compounds yearly). A payment does not start a new period: the
  period's interest is the sum of principal x rate x days over its pieces, rounded half-up to
  the cent once. The total is the sum of the periods as shown, so the claim adds up on paper,
  and a payment (or an earlier `until`) can never make the total larger.
- The UK holds one rate for the debt; the Netherlands adds each full year's interest to the
  principal. A contractual cap limits the total interest to a percentage of the principal.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from arrears.core.basis import Contractual, Converted, NotConverted, Part, words
from arrears.core.fx import NoRate, Rates
from arrears.core.latepayment import HELD, RateHistory, Rule
from arrears.core.money import Money, round_money

ONE_DAY = timedelta(days=1)
DAY_COUNTS = ("actual/365", "actual/360", "actual/actual")
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Clause:
    """A contract's late-payment clause. Amounts in the invoice's currency."""

    annual_pct: Decimal | None = None
    fixed_fee: Decimal | None = None
    grace_days: int = 0
    cap_pct: Decimal | None = None

    def grounds(self, currency: str) -> Contractual:
        fee = Money(self.fixed_fee, currency) if self.fixed_fee else None
        return Contractual(self.annual_pct, fee, self.grace_days, self.cap_pct)

    def basis(self, currency: str) -> str:
        return words((self.grounds(currency),))


@dataclass(frozen=True, slots=True)
class Debt:
    principal: Money
    due: date
    payments: tuple[tuple[date, Decimal], ...] = ()  # (day, amount), in the debt's currency


@dataclass(frozen=True, slots=True)
class Piece:
    """Part of a period at one principal (a payment inside the period splits it)."""

    start: date
    end: date
    days: int
    principal: Decimal


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    days: int
    annual_rate_pct: Decimal
    interest: Decimal  # rounded half-up to the minor unit
    pieces: tuple[Piece, ...]
    year_days: int  # the denominator of the day count for this period


@dataclass(frozen=True, slots=True)
class Claim:
    currency: str
    principal: Decimal
    outstanding: Decimal  # still unpaid at the end of `until`
    start: date  # the first day that bears interest
    until: date
    periods: tuple[Period, ...]
    interest_total: Decimal
    compensation: Decimal
    total_claim: Decimal  # outstanding + interest_total + compensation
    basis: str  # the grounds in English words
    day_count: str
    contractual: bool  # compensation is then the contract's late fee
    grounds: tuple[Part, ...] = ()  # the grounds as data: core.basis.words(grounds, lang)


def _year_days(day: date, day_count: str) -> int:
    if day_count == "actual/360":
        return 360
    if day_count == "actual/actual" and calendar.isleap(day.year):
        return 366
    return 365


def _half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def _held_reference_day(start: date) -> date:
    """UK: the rate in force on 31 December (interest starting January-June) or 30 June
    (starting July-December) before the day interest started to run."""
    return date(start.year - 1, 12, 31) if start.month <= 6 else date(start.year, 6, 30)


def _anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return date(start.year + years, 3, 1)


def _boundaries(start: date, until: date, *, half_yearly: bool, yearly: bool, years: bool):
    """First days of new periods strictly after `start` and not after `until`."""
    cuts = set()
    for year in range(start.year, until.year + 1):
        if half_yearly:
            cuts.update({date(year, 1, 1), date(year, 7, 1)})
        if yearly:
            cuts.add(date(year, 1, 1))
    if years:
        n = 1
        while (day := _anniversary(start, n)) <= until:
            cuts.add(day)
            n += 1
    return sorted(c for c in cuts if start < c <= until)


def _compute(
    debt: Debt,
    start: date,
    until: date,
    rate_for,  # period start -> annual pct
    *,
    cut_half_years: bool,
    compound_yearly: bool,
    day_count: str,
    cap: Decimal | None,
) -> tuple[tuple[Period, ...], Decimal]:
    if day_count not in DAY_COUNTS:
        raise ValueError(f"unknown day count {day_count!r} (one of {', '.join(DAY_COUNTS)})")
    currency = debt.principal.currency
    if until < start:
        return (), Decimal(0)
    # principal changes: a payment on P counts from P + 1
    changes: dict[date, Decimal] = {}
    principal = debt.principal.amount
    for day, amount in debt.payments:
        if not isinstance(amount, Decimal):
            raise TypeError(f"a payment is a Decimal, not {type(amount).__name__}")
        if day + ONE_DAY <= start:
            principal -= amount
        elif day + ONE_DAY <= until:
            changes[day + ONE_DAY] = changes.get(day + ONE_DAY, Decimal(0)) + amount
    principal = max(principal, Decimal(0))
    cuts = _boundaries(
        start,
        until,
        half_yearly=cut_half_years,
        yearly=day_count == "actual/actual",
        years=compound_yearly,
    )
    anniversaries = set()
    if compound_yearly:
        n = 1
        while (day := _anniversary(start, n)) <= until:
            anniversaries.add(day)
            n += 1
    edges = [start, *cuts, until + ONE_DAY]
    periods: list[Period] = []
    total = Decimal(0)
    year_interest = Decimal(0)
    for p_start, p_next in zip(edges, edges[1:], strict=False):
        if p_start in anniversaries:  # a full year of default: its interest joins the principal
            principal += year_interest
            year_interest = Decimal(0)
        p_end = p_next - ONE_DAY
        rate = rate_for(p_start)
        denominator = _year_days(p_start, day_count)
        inner = sorted(d for d in changes if p_start < d <= p_end)
        if p_start in changes:
            principal = max(principal - changes[p_start], Decimal(0))
        pieces = []
        exact = Decimal(0)
        for s, n in zip([p_start, *inner], [*inner, p_next], strict=False):
            if s in changes and s != p_start:
                principal = max(principal - changes[s], Decimal(0))
            days = (n - s).days
            if principal > 0:
                pieces.append(Piece(s, n - ONE_DAY, days, principal))
                exact += principal * rate * days / (HUNDRED * denominator)
        if not pieces:
            continue
        interest = round_money(exact, currency)
        if cap is not None and total + interest >= cap:
            interest = cap - total
        total += interest
        year_interest += interest
        periods.append(
            Period(
                p_start, p_end, (p_next - p_start).days, rate, interest, tuple(pieces), denominator
            )
        )
        if cap is not None and total >= cap:
            break
    return tuple(periods), total


def _paid_by(debt: Debt, day: date) -> Decimal:
    return sum((a for d, a in debt.payments if d <= day), Decimal(0))


def _claim(debt, start, until, periods, total, compensation, grounds, day_count, contractual):
    currency = debt.principal.currency
    outstanding = max(debt.principal.amount - _paid_by(debt, until), Decimal(0))
    return Claim(
        currency=currency,
        principal=debt.principal.amount,
        outstanding=outstanding,
        start=start,
        until=until,
        periods=periods,
        interest_total=total,
        compensation=compensation,
        total_claim=outstanding + total + compensation,
        basis=words(grounds),
        day_count=day_count,
        contractual=contractual,
        grounds=grounds,
    )


def _late_at(debt: Debt, start: date, until: date) -> bool:
    """Still owing something on the day interest starts, and that day has come."""
    return until >= start and _paid_by(debt, start - ONE_DAY) < debt.principal.amount


def contractual_claim(
    debt: Debt, clause: Clause, until: date, *, day_count: str = "actual/365"
) -> Claim:
    currency = debt.principal.currency
    start = debt.due + timedelta(days=clause.grace_days + 1)
    cap = None
    if clause.cap_pct is not None:
        cap = round_money(debt.principal.amount * clause.cap_pct / HUNDRED, currency)
    periods, total = (), Decimal(0)
    if clause.annual_pct:
        periods, total = _compute(
            debt,
            start,
            until,
            lambda _day: clause.annual_pct,
            cut_half_years=False,
            compound_yearly=False,
            day_count=day_count,
            cap=cap,
        )
    fee = Decimal(0)
    if clause.fixed_fee and _late_at(debt, start, until):
        fee = round_money(clause.fixed_fee, currency)
    grounds = (clause.grounds(currency),)
    return _claim(debt, start, until, periods, total, fee, grounds, day_count, True)


def statutory_claim(
    debt: Debt,
    rule: Rule,
    history: RateHistory,
    until: date,
    *,
    day_count: str = "actual/365",
    fx: Rates | None = None,
) -> Claim:
    """Interest and fixed compensation under `rule`, with the reference rates of `history`.
    Compensation set in another currency than the debt's (GBP 40 on a USD invoice) is
    converted with `fx` on the day interest started; the rate is stated in the basis."""
    currency = debt.principal.currency
    start = debt.due + ONE_DAY
    if rule.fixing == HELD:
        held = history.in_force(rule.series, _held_reference_day(start)).rate_pct + rule.points

        def rate_for(_day: date) -> Decimal:
            return held
    else:

        def rate_for(day: date) -> Decimal:
            return history.in_force(rule.series, _half_year_start(day)).rate_pct + rule.points

    periods, total = _compute(
        debt,
        start,
        until,
        rate_for,
        cut_half_years=rule.fixing != HELD,
        compound_yearly=rule.compound_yearly,
        day_count=day_count,
        cap=None,
    )
    grounds: tuple[Part, ...] = (rule.grounds(),)
    compensation = Decimal(0)
    if rule.compensation and _late_at(debt, start, until):
        fixed = Money(rule.compensation.for_debt(debt.principal.amount), rule.compensation.currency)
        if fixed.currency == currency:
            compensation = round_money(fixed.amount, currency)
        elif fx is not None:
            try:
                converted = fx.convert(fixed, currency, start)
                compensation = converted.money.amount
                grounds += (Converted(fixed, currency, converted.rate, converted.rate_date),)
            except NoRate:
                grounds += (NotConverted(fixed, currency),)
        else:
            grounds += (NotConverted(fixed, currency),)
    return _claim(debt, start, until, periods, total, compensation, grounds, day_count, False)
