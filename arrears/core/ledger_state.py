"""The planner's input: the ledger's state on the plan day, as plain records (no Django).

`dunning/snapshot.py` reads them from the database; the tests build them by hand.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple


class PromiseState(NamedTuple):
    pk: int
    until: date  # the day the client promised to pay by


class InvoiceState(NamedTuple):  # NamedTuples: a big ledger has hundreds of thousands open
    pk: int
    number: str
    client_pk: int
    issue_date: date
    due_date: date
    currency: str
    outstanding: Decimal
    contract: str | None  # the contract's id, for reasons
    clauses: frozenset[str]  # the contract's clauses that are `yes` (`policy.Clause` values)
    policy: str | None  # assigned policy name (contract's, else client's), None: default
    dispute: str | None = None  # reason of the open dispute
    promise: PromiseState | None = None  # the active promise to pay
    on_plan: bool = False  # covered by an active payment plan


class Contact(NamedTuple):
    email: str
    name: str
    roles: frozenset[str]


class ClientState(NamedTuple):
    pk: int
    external_id: str
    name: str
    country: str
    timezone: str
    language: str
    contacts: tuple[Contact, ...] = ()
    sales_owner: str = ""
    delivery_lead: str = ""
    policy: str | None = None


@dataclass(frozen=True)
class People:
    """The organisation's own people, for internal roles."""

    leadership: tuple[str, ...] = ()
    accounting: tuple[str, ...] = ()
    fallback: str = ""  # the accounts address: an internal alert always reaches someone


@dataclass
class History:
    """What was done before: invoice pk -> the steps done for it (performed, skipped or in
    flight; any container of step ids: the snapshot shares one frozenset among the invoices
    that have the same steps, a big ledger has millions of records and a handful of such sets);
    client pk -> client-level step -> date performed; invoice pk -> date of the last message the
    client was sent about it; approval decisions ('approved' or 'rejected') by action key for
    client-level steps, and by (invoice pk, step) for invoice-level ones (an approval of a
    message covers each invoice in it, whatever it is later grouped with)."""

    done: dict[int, Collection[str]] = field(default_factory=dict)
    client_done: dict[int, dict[str, date]] = field(default_factory=dict)
    last_message: dict[int, date] = field(default_factory=dict)
    approvals: dict[str, str] = field(default_factory=dict)
    item_approvals: dict[tuple[int, str], str] = field(default_factory=dict)

    def copy(self) -> History:
        """A copy that can be added to without touching this one (`forecast`)."""
        return History(
            {k: set(v) for k, v in self.done.items()},
            {k: dict(v) for k, v in self.client_done.items()},
            dict(self.last_message),
            dict(self.approvals),
            dict(self.item_approvals),
        )
