"""Payment plans: drafting the instalments, and where a plan stands on a day. Pure rules.

- A plan spreads the covered invoices' outstanding total over N instalments on a cadence
  (monthly on the first date's day of the month, clamped to short months; or every two weeks,
  or weekly). Every instalment but the last is the total divided by N, rounded DOWN to the
  currency's minor unit; the last takes the remainder, so the instalments add up to the cent
  and the last is never the smallest.
- The first instalment is due before work continues: work may resume once it is paid.
- Payments count toward the instalments in order (the oldest unpaid first), whatever their
  size: paying 1.5 instalments pays the first and half of the second.
- An instalment not fully paid `grace_days` after its date is missed. A miss has one
  consequence, chosen on the plan: `void` (the plan ends and the ladder resumes where each
  invoice stands) or `stop-work` (the miss asks for a work stoppage; the plan stays). A plan
  may charge a late fee per missed instalment.
- Reminders: `REMIND_BEFORE` days before each unpaid instalment; a miss notice and an internal
  alert on the day it is missed (its date plus the grace: +3 by default).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from arrears.core.money import quantum

REMIND_BEFORE = 3
GRACE_DAYS = 3


class Cadence(StrEnum):
    MONTH = "month"
    TWO_WEEKS = "2w"
    WEEK = "week"


class OnMiss(StrEnum):
    VOID = "void"
    STOP_WORK = "stop-work"


class PlanError(ValueError):
    """A plan that cannot be drafted, and why."""


@dataclass(frozen=True, slots=True)
class Instalment:
    number: int  # 1-based
    due: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Terms:
    total: Decimal
    currency: str
    count: int
    first: date
    cadence: Cadence = Cadence.MONTH
    grace_days: int = GRACE_DAYS
    late_fee: Decimal = Decimal(0)  # per missed instalment; 0: none
    on_miss: OnMiss = OnMiss.VOID


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month (31 Jan + 1 -> 28/29
    Feb; the day after stays the 31st where the month has one)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_dates(first: date, count: int, cadence: Cadence) -> list[date]:
    if cadence == Cadence.MONTH:
        return [add_months(first, n) for n in range(count)]
    step = timedelta(days=14 if cadence == Cadence.TWO_WEEKS else 7)
    return [first + n * step for n in range(count)]


def draft(terms: Terms) -> tuple[Instalment, ...]:
    """The schedule: N dates, N amounts adding up to `total` exactly."""
    for name in ("total", "late_fee"):
        if not isinstance(getattr(terms, name), Decimal):
            raise TypeError(f"{name} must be a Decimal, not {type(getattr(terms, name)).__name__}")
    if terms.count < 1:
        raise PlanError("a plan needs at least one instalment")
    unit = quantum(terms.currency)
    if terms.total != terms.total.quantize(unit):
        raise PlanError(f"{terms.total} is not a whole number of {terms.currency} minor units")
    if terms.total < unit * terms.count:
        raise PlanError(
            f"{terms.total} {terms.currency} cannot be split into {terms.count} instalments"
        )
    if terms.late_fee < 0 or terms.late_fee != terms.late_fee.quantize(unit):
        raise PlanError(f"the late fee {terms.late_fee} is not a whole amount of {terms.currency}")
    regular = (terms.total / terms.count).quantize(unit, rounding=ROUND_DOWN)
    last = terms.total - regular * (terms.count - 1)
    dates = due_dates(terms.first, terms.count, terms.cadence)
    return tuple(
        Instalment(n + 1, d, last if n == terms.count - 1 else regular) for n, d in enumerate(dates)
    )


def paid_amounts(instalments: Iterable[Instalment], received: Decimal) -> tuple[Decimal, ...]:
    """How much of each instalment `received` pays, oldest first."""
    out, left = [], received
    for i in instalments:
        take = min(max(left, Decimal(0)), i.amount)
        out.append(take)
        left -= take
    return tuple(out)


# -- where a plan stands on a day -------------------------------------------------------------
PAID, UPCOMING, DUE, LATE, MISSED = "paid", "upcoming", "due", "late", "missed"


@dataclass(frozen=True, slots=True)
class InstalmentState:
    number: int
    due: date
    amount: Decimal
    paid: Decimal
    status: str  # paid | upcoming | due (today) | late (within the grace) | missed

    @property
    def owed(self) -> Decimal:
        return self.amount - self.paid


@dataclass(frozen=True, slots=True)
class PlanDay:
    """A plan seen on day `on`."""

    on: date
    instalments: tuple[InstalmentState, ...]
    missed: tuple[int, ...]  # numbers of the missed instalments
    fees: Decimal  # late fees the misses carry
    complete: bool  # every instalment paid
    work_may_continue: bool  # the first instalment is paid
    void: bool  # a miss voids the plan (consequence `void`)
    stop_work: bool  # a miss asks for a work stoppage (consequence `stop-work`)


def miss_date(due: date, grace_days: int) -> date:
    """The day an unpaid instalment counts as missed: the day after its grace ends."""
    return due + timedelta(days=grace_days)


def state(
    terms: Terms,
    instalments: Iterable[Instalment],
    payments: Iterable[tuple[date, Decimal]],
    on: date,
) -> PlanDay:
    """The plan on `on`, counting the payments received up to and including `on`."""
    instalments = tuple(instalments)
    received = sum((amt for d, amt in payments if d <= on), Decimal(0))
    paid = paid_amounts(instalments, received)
    states = []
    for i, p in zip(instalments, paid, strict=True):
        if p >= i.amount:
            status = PAID
        elif on < i.due:
            status = UPCOMING
        elif on == i.due:
            status = DUE
        elif on < miss_date(i.due, terms.grace_days):
            status = LATE
        else:
            status = MISSED
        states.append(InstalmentState(i.number, i.due, i.amount, p, status))
    missed = tuple(s.number for s in states if s.status == MISSED)
    return PlanDay(
        on,
        tuple(states),
        missed,
        terms.late_fee * len(missed),
        all(s.status == PAID for s in states),
        bool(states) and states[0].status == PAID,
        bool(missed) and terms.on_miss == OnMiss.VOID,
        bool(missed) and terms.on_miss == OnMiss.STOP_WORK,
    )


# -- what the plan asks for on a day ----------------------------------------------------------
REMINDER, OVERDUE, MISSED_ALERT = "plan-reminder", "plan-overdue", "plan-missed"


@dataclass(frozen=True, slots=True)
class Due:
    """A message the plan asks for: `kind` is plan-reminder (to the client, before an
    instalment), plan-overdue (to the client, on a miss) or plan-missed (internal alert)."""

    kind: str
    number: int  # the instalment it is about
    due: date
    amount: Decimal
    owed: Decimal


def due_messages(day: PlanDay) -> list[Due]:
    """What is due on `day.on` (catching up: a reminder whose day was missed still goes out
    until the instalment's own date; a miss is reported whenever it is first seen). A voided
    plan says nothing after its first miss."""
    out: list[Due] = []
    for s in day.instalments:
        if s.status == UPCOMING and day.on >= s.due - timedelta(days=REMIND_BEFORE):
            out.append(Due(REMINDER, s.number, s.due, s.amount, s.owed))
        elif s.status == MISSED:
            out.append(Due(OVERDUE, s.number, s.due, s.amount, s.owed))
            out.append(Due(MISSED_ALERT, s.number, s.due, s.amount, s.owed))
            if day.void:
                break  # the first miss ends the plan: nothing more to say about it
    return out
