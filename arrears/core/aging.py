"""Aged receivables: what each client owes, by how late it is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def bucket(due_date: date, on: date) -> str:
    """`current` is not yet overdue (due today or later); then by whole days past due."""
    late = (on - due_date).days
    if late <= 0:
        return "current"
    if late <= 30:
        return "1-30"
    if late <= 60:
        return "31-60"
    if late <= 90:
        return "61-90"
    return "90+"


@dataclass(frozen=True, slots=True)
class Receivable:
    """One invoice's balance as of the report date."""

    client_id: str
    client_name: str
    currency: str
    due_date: date
    outstanding: Decimal


@dataclass(frozen=True, slots=True)
class Credit:
    """Money a client paid (or was credited) that no invoice had used by the report date: an
    overpayment, shown beside the receivables, never netted against them."""

    client_id: str
    client_name: str
    currency: str
    amount: Decimal


@dataclass
class AgingRow:
    client_id: str
    client_name: str
    currency: str
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, Decimal(0)))
    invoices: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), Decimal(0))


@dataclass(frozen=True)
class AgingReport:
    on: date
    rows: tuple[AgingRow, ...]
    totals: tuple[AgingRow, ...]  # one per currency, client_id "" and client_name "Total"
    credits: tuple[Credit, ...] = ()  # by currency, then the largest first


def age(receivables: Iterable[Receivable], on: date, credits: Iterable[Credit] = ()) -> AgingReport:
    """One row per client and currency (a client billed in two currencies has two rows), sorted
    by the largest total first; totals per currency, never added across currencies. The
    clients' credits are listed on their own."""
    rows: dict[tuple[str, str], AgingRow] = {}
    totals: dict[str, AgingRow] = {}
    for r in receivables:
        if r.outstanding <= 0:
            continue
        key = (r.client_id, r.currency)
        row = rows.get(key)
        if row is None:
            row = rows[key] = AgingRow(r.client_id, r.client_name, r.currency)
        total = totals.get(r.currency)
        if total is None:
            total = totals[r.currency] = AgingRow("", "Total", r.currency)
        name = bucket(r.due_date, on)
        row.buckets[name] += r.outstanding
        row.invoices += 1
        total.buckets[name] += r.outstanding
        total.invoices += 1
    ordered = sorted(rows.values(), key=lambda r: (r.currency, -r.total, r.client_id))
    credit = sorted(
        (c for c in credits if c.amount > 0), key=lambda c: (c.currency, -c.amount, c.client_id)
    )
    return AgingReport(on, tuple(ordered), tuple(totals[c] for c in sorted(totals)), tuple(credit))
