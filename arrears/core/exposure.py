"""Exposure: what a client's work has put at risk as of a day D. Pure rules, no Django.

Per client (one row per client and currency; the work figures are in the client's currency):

- `overdue` / `current`: what the client's invoices still owed at the end of D (total less the
  allocations dated on or before D, as `core.aging` counts it), split by whether the due date
  had passed (due before D: overdue; due on D or later: current).
- `unbilled_wip`: time entries dated on or before D that no invoice issued on or before D had
  billed, at their bill rate (hours x bill rate).
- `uncovered_cost`: contractor cost not covered by the client's payments: the cost (hours x cost
  rate) of every time entry dated on or before D, less every payment received from the client
  (in its currency) dated on or before D, and never below zero. Both are totals since the
  client started: cost paid out is covered once the client has paid as much in.
- `daily_burn`: bill-rate value of the time entries dated in the 14 days ending on D (D-13 to D)
  divided by 14.
- `credit_limit`: the sum of the credit limits of the client's contracts in force on D (started
  on or before D, not ended before D) that set one: each contract extends its own credit, and the
  client's exposure spans them all. None when no contract in force sets a limit.
- `days_to_limit`: with exposure = overdue + current + unbilled_wip, the whole days until
  exposure reaches the limit at the daily burn, ceil((limit - exposure) / daily_burn), from the
  figures as shown (so anyone can redo it). 0 when exposure has already reached the limit;
  None when there is no limit, or when the client is not burning (daily burn 0).

Sums are exact; each figure is rounded once, half-up to the currency's minor unit.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from arrears.core.aging import Receivable
from arrears.core.money import round_money

BURN_DAYS = 14
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Entry:
    """One time entry; `billed_on` is the issue date of the invoice that billed it (None:
    not billed yet)."""

    client_id: str
    day: date
    hours: Decimal
    bill_rate: Decimal
    cost_rate: Decimal
    billed_on: date | None = None


@dataclass(frozen=True, slots=True)
class WorkHours:
    """A client's hours at one pair of rates, summed the three ways exposure needs them. The
    database groups entries this way (products are computed here, never in SQL);
    `summarise` does the same from single entries."""

    client_id: str
    bill_rate: Decimal
    cost_rate: Decimal
    unbilled: Decimal = ZERO  # dated on or before D, not billed by an invoice issued by D
    recent: Decimal = ZERO  # dated in the BURN_DAYS days ending on D
    to_date: Decimal = ZERO  # dated on or before D


@dataclass(frozen=True, slots=True)
class Terms:
    """What the exposure of a client needs besides receivables and hours."""

    client_id: str
    client_name: str
    currency: str  # the client's: time entries and credit limits are in it
    received: Decimal = ZERO  # payments in that currency dated on or before D
    credit_limit: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Exposure:
    client_id: str | None  # None on a totals row
    client_name: str
    currency: str
    overdue: Decimal = ZERO
    current: Decimal = ZERO
    unbilled_wip: Decimal = ZERO
    uncovered_cost: Decimal = ZERO
    daily_burn: Decimal = ZERO
    credit_limit: Decimal | None = None
    days_to_limit: int | None = None

    @property
    def exposure(self) -> Decimal:
        """What the client would owe if all the work done were billed today."""
        return self.overdue + self.current + self.unbilled_wip

    @property
    def over_limit(self) -> bool:
        return self.credit_limit is not None and self.exposure >= self.credit_limit

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f) for f in FIGURES)


def in_force(start: date, end: date | None, on: date) -> bool:
    return start <= on and (end is None or end >= on)


def combined_limit(limits: Iterable[Decimal | None]) -> Decimal | None:
    """The client's credit limit from its contracts' limits (those in force): their sum; None
    when none sets one."""
    set_ = [x for x in limits if x is not None]
    return sum(set_, ZERO) if set_ else None


def days_to_limit(exposure: Decimal, limit: Decimal | None, burn: Decimal) -> int | None:
    if limit is None:
        return None
    if exposure >= limit:
        return 0
    if burn <= 0:
        return None
    return math.ceil((limit - exposure) / burn)


def summarise(entries: Iterable[Entry], on: date) -> list[WorkHours]:
    """Single entries -> WorkHours rows, as the database query groups them."""
    start = on - timedelta(days=BURN_DAYS - 1)
    sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for e in entries:
        if e.day > on:
            continue
        s = sums[e.client_id, e.bill_rate, e.cost_rate]
        if e.billed_on is None or e.billed_on > on:
            s[0] += e.hours
        if e.day >= start:
            s[1] += e.hours
        s[2] += e.hours
    return [WorkHours(c, b, k, *v) for (c, b, k), v in sums.items()]


def expose(
    terms: Iterable[Terms], receivables: Iterable[Receivable], work: Iterable[WorkHours], on: date
) -> tuple[Exposure, ...]:
    """One row per client and currency that has anything to show, sorted by client id."""
    by_client = {t.client_id: t for t in terms}
    owed: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    names: dict[str, str] = {t.client_id: t.client_name for t in by_client.values()}
    for r in receivables:
        if r.outstanding <= 0:
            continue
        owed[r.client_id, r.currency][0 if r.due_date < on else 1] += r.outstanding
        names.setdefault(r.client_id, r.client_name)
    wip: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for w in work:
        s = wip[w.client_id]
        s[0] += w.unbilled * w.bill_rate
        s[1] += w.recent * w.bill_rate
        s[2] += w.to_date * w.cost_rate
    keys = set(owed) | {(c, by_client[c].currency) for c in wip if c in by_client}
    rows = []
    for client_id, currency in sorted(keys):
        overdue, current = owed.get((client_id, currency), (ZERO, ZERO))
        t = by_client.get(client_id)
        if t is None or t.currency != currency:  # receivables in another currency only
            row = Exposure(client_id, names[client_id], currency, overdue, current)
        else:
            unbilled, recent, cost = wip.get(client_id, (ZERO, ZERO, ZERO))
            wip_ = round_money(unbilled, currency)
            burn = round_money(recent / BURN_DAYS, currency)
            uncovered = round_money(max(cost - t.received, ZERO), currency)
            row = Exposure(
                client_id,
                t.client_name,
                currency,
                overdue,
                current,
                wip_,
                uncovered,
                burn,
                t.credit_limit,
                days_to_limit(overdue + current + wip_, t.credit_limit, burn),
            )
        if not row.empty:
            rows.append(row)
    return tuple(rows)


def totals(rows: Iterable[Exposure]) -> tuple[Exposure, ...]:
    """One row per currency (never added across currencies): the sums; the credit limit is the
    sum of the limits that are set; no days to the limit."""
    acc: dict[str, dict[str, Decimal]] = {}
    limits: dict[str, list[Decimal]] = defaultdict(list)
    for r in rows:
        a = acc.setdefault(r.currency, defaultdict(Decimal))
        for f in FIGURES:
            a[f] += getattr(r, f)
        if r.credit_limit is not None:
            limits[r.currency].append(r.credit_limit)
    return tuple(
        Exposure(None, "Total", c, **acc[c], credit_limit=combined_limit(limits[c]))
        for c in sorted(acc)
    )


FIGURES = ("overdue", "current", "unbilled_wip", "uncovered_cost", "daily_burn")
