"""Payment allocation: which open invoices a payment, credit note or credit settles, and how much.

The rule: first the invoice the payer named, if any; the rest to the client's oldest open
invoices (by due date, then issue date, then number); whatever is left is client credit, which
the next invoice uses. Amounts are never split below the currency's minor unit because every
input already is a whole number of minor units.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An invoice's open balance as allocation sees it."""

    key: Hashable
    due_date: date
    issue_date: date
    number: str
    outstanding: Decimal


@dataclass(frozen=True, slots=True)
class Allocated:
    key: Hashable
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    parts: tuple[Allocated, ...]
    remainder: Decimal

    @property
    def allocated(self) -> Decimal:
        return sum((p.amount for p in self.parts), Decimal(0))


def oldest_first(items: Iterable[OpenItem]) -> list[OpenItem]:
    return sorted(items, key=lambda i: (i.due_date, i.issue_date, i.number))


def allocate(
    amount: Decimal, items: Iterable[OpenItem], *, named: Hashable | None = None
) -> Allocation:
    """Spread `amount` over `items`: the named one first, then oldest first.

    Items with nothing outstanding are passed over. The result's parts plus its remainder
    always equal `amount`.
    """
    if amount < 0:
        raise ValueError("cannot allocate a negative amount")
    pool = [i for i in items if i.outstanding > 0]
    ordered = oldest_first(pool)
    if named is not None:
        ordered = [i for i in pool if i.key == named] + [i for i in ordered if i.key != named]
    parts: list[Allocated] = []
    left = amount
    for item in ordered:
        if left <= 0:
            break
        take = min(left, item.outstanding)
        parts.append(Allocated(item.key, take))
        left -= take
    return Allocation(tuple(parts), left)


def settle(items: dict[Hashable, OpenItem], allocation: Allocation) -> None:
    """Lower the outstanding balances in `items` by what `allocation` took (for running several
    payments in a row over the same open items)."""
    for part in allocation.parts:
        item = items[part.key]
        items[part.key] = OpenItem(
            item.key, item.due_date, item.issue_date, item.number, item.outstanding - part.amount
        )
