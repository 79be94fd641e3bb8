"""The planner's output: the day's actions, what each covers, and why an invoice gets nothing.
Plain records (no Django); `dunning/outbox.py` writes the due actions to the outbox."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    """Where an action stands on the plan day."""

    DUE = "due"  # goes out today
    NEEDS_APPROVAL = "needs_approval"  # waits for an owner or leadership to approve it
    WAITING = "waiting"  # a lever waiting for an earlier lever or for its notice
    BLOCKED = "blocked"  # no clause, no contact, or rejected


EVERY = frozenset(Status)


class Item(NamedTuple):  # NamedTuples: hundreds of thousands are made for a big ledger's day
    invoice_pk: int
    invoice_number: str
    step: str
    outstanding: Decimal
    currency: str
    due_date: date
    days_overdue: int


class Skip(NamedTuple):
    """The earlier message steps of an invoice that an action leaves behind by catching up:
    recorded as skipped when the action is performed."""

    invoice_pk: int
    steps: tuple[str, ...]


class Action(NamedTuple):
    key: str
    client_pk: int
    client_id: str
    step: str
    kind: str  # the step's kind (`policy.StepKind`), or an outbox kind of another app
    level: str  # `policy.StepLevel`: one invoice's step, or the client's
    status: Status
    scheduled_for: date
    to: tuple[str, ...]
    cc: tuple[str, ...]
    items: tuple[Item, ...]
    reason: str
    template: str
    policy: str
    approval: bool = False
    skips: tuple[Skip, ...] = ()
    promise_id: int | None = None
    data: tuple[tuple[str, object], ...] = ()  # extra figures for the message (JSON values)


@dataclass(frozen=True, slots=True)
class Idle:
    """An open invoice that gets nothing today, and why."""

    client_id: str
    invoice_number: str
    reason: str
    next_step: str | None = None
    next_on: date | None = None


@dataclass(frozen=True, slots=True)
class BrokenPromise:
    promise_id: int
    invoice_pk: int
    invoice_number: str
    client_pk: int
    until: date


@dataclass(frozen=True)
class ClientError:
    """A client whose day could not be worked out (bad data raised): recorded and alerted;
    the other clients' days go on."""

    client_pk: int
    client_id: str
    message: str


@dataclass(frozen=True)
class Plan:
    on: date
    actions: tuple[Action, ...]
    idle: tuple[Idle, ...] = ()
    broken: tuple[BrokenPromise, ...] = ()
    untold: Mapping[str, int] = field(default_factory=dict)  # statuses not asked for: counts
    errors: tuple[ClientError, ...] = ()  # clients that could not be planned

    def count(self, status: str) -> int:
        return self.untold.get(status, 0) + sum(1 for a in self.actions if a.status == status)


def make_key(step: str, client_id: str, items: Sequence[tuple[str, str]] = ()) -> str:
    """`nudge-2/C001/INV-7+INV-9@nudge-1`: the top step, the client, and each (invoice number,
    step) (the step named where it differs). Long keys end in a hash instead of the list."""
    if not items:  # a client-level step
        return f"{step}/{client_id}"
    parts = sorted(number if s == step else f"{number}@{s}" for number, s in items)
    key = f"{step}/{client_id}/{'+'.join(parts)}"
    if len(key) > 180:
        digest = hashlib.sha256("+".join(parts).encode()).hexdigest()[:32]
        key = f"{step}/{client_id}/{len(parts)}-invoices-{digest}"
    return key
