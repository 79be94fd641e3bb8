"""Payment allocation: which open invoices a payment, credit note or credit settles, and how much.

The rule: first the invoice the payer named, if any; the rest to the client's oldest open
invoices (by due date, then issue date, then number); whatever is left is client credit, which
the next invoice uses. Amounts are never split below the currency's minor unit because every
input already is a whole number of minor units.

Where fees and interest are debits of their own (an item's `kind`), an `order` such as
`("interest", "fees", "principal")` settles them kind by kind, oldest first within a kind,
after the named invoice. Without an order, every open item is simply oldest first.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
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
    kind: str = "principal"  # or "fees", "interest": what the debit is


KINDS = ("principal", "fees", "interest")


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


def oldest_first(items: Iterable[OpenItem], order: Sequence[str] = ()) -> list[OpenItem]:
    if not order:
        return sorted(items, key=lambda i: (i.due_date, i.issue_date, i.number))
    rank = {kind: n for n, kind in enumerate(order)}
    return sorted(
        items, key=lambda i: (rank.get(i.kind, len(rank)), i.due_date, i.issue_date, i.number)
    )


def check_order(order: Sequence[str]) -> tuple[str, ...]:
    """An allocation order names each kind once: `interest,fees,principal`."""
    found = tuple(order)
    if sorted(found) != sorted(KINDS):
        raise ValueError(
            f"allocation order {','.join(found) or '(empty)'}: name each of {', '.join(KINDS)} once"
        )
    return found


def allocate(
    amount: Decimal,
    items: Iterable[OpenItem],
    *,
    named: Hashable | None = None,
    order: Sequence[str] = (),
) -> Allocation:
    """Spread `amount` over `items`: the named one first, then oldest first (kind by kind
    when `order` is given).

    Items with nothing outstanding are passed over. The result's parts plus its remainder
    always equal `amount`.
    """
    if amount < 0:
        raise ValueError("cannot allocate a negative amount")
    pool = [i for i in items if i.outstanding > 0]
    ordered = oldest_first(pool, order)
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
            item.key,
            item.due_date,
            item.issue_date,
            item.number,
            item.outstanding - part.amount,
            item.kind,
        )
