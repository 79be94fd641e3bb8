"""The planner: (ledger state, policies, date) -> the actions due that day. A pure function.

Rules (issue 4):
- a step's date is the first business day of the client's country on or after due + offset;
- messages catch up without flooding: an invoice gets only its most advanced message step
  whose date has come, and earlier unsent ones are skipped (recorded when it is sent);
- levers never surprise: a lever waits until its date, every earlier lever its contract allows
  is performed, and a message about the invoice went out at least `notice_days` before;
- client-facing actions only on the client's business days; internal ones any day;
- one message per client per day, in the tone of its most advanced step;
- nothing for an invoice that is disputed, on a payment plan, promised (until the date plus
  grace) or owes less than the minimum; a promise past its grace is broken and alerted;
- a gated step without its clause is blocked; an approval step waits for an approval;
- every action's key is made of what it is (step, client, invoices), never of when.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from arrears.core.policy import Policy

DUE, NEEDS_APPROVAL, WAITING, BLOCKED = "due", "needs_approval", "waiting", "blocked"
EVERY = frozenset((DUE, NEEDS_APPROVAL, WAITING, BLOCKED))


class InvoiceState(NamedTuple):
    pk: int
    number: str
    client_pk: int
    issue_date: date
    due_date: date
    currency: str
    outstanding: Decimal
    contract: str | None  # the contract's id, for reasons
    clauses: frozenset[str]  # the contract's clauses that are `yes`
    policy: str | None  # assigned policy name (contract's, else client's), None: default
    dispute: str | None = None  # reason of the open dispute
    promise: tuple[int, date] | None = None  # (promise id, promised date) of an active promise
    on_plan: bool = False  # covered by an active payment plan


class Contact(NamedTuple):  # NamedTuples: tens of thousands are made for every plan
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
class ClientError:
    """A client whose day could not be worked out (bad data raised): recorded and alerted;
    the other clients' days go on."""

    client_pk: int
    client_id: str
    message: str


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


class Item(NamedTuple):
    invoice_pk: int
    invoice_number: str
    step: str
    outstanding: Decimal
    currency: str
    due_date: date
    days_overdue: int


class Action(NamedTuple):
    key: str
    client_pk: int
    client_id: str
    step: str
    kind: str
    level: str
    status: str
    scheduled_for: date
    to: tuple[str, ...]
    cc: tuple[str, ...]
    items: tuple[Item, ...]
    reason: str
    template: str
    policy: str
    approval: bool = False
    skips: tuple[
        tuple[int, tuple[str, ...]], ...
    ] = ()  # (invoice pk, steps) left behind by catching up
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
    """`nudge-2/C001/INV-7+INV-9@nudge-1`: the top step, the client, and each invoice (with its
    own step where it differs). Long keys end in a hash instead of the invoice list."""
    if not items:  # a client-level step
        return f"{step}/{client_id}"
    if len(items) == 1:  # most keys: one invoice
        ((number, s),) = items
        parts = [number if s == step else f"{number}@{s}"]
    else:
        parts = sorted(number if s == step else f"{number}@{s}" for number, s in items)
    key = f"{step}/{client_id}" + (f"/{'+'.join(parts)}" if parts else "")
    if len(key) > 180:
        digest = hashlib.sha256("+".join(parts).encode()).hexdigest()[:32]
        key = f"{step}/{client_id}/{len(parts)}-invoices-{digest}"
    return key


def plan(
    clients: Mapping[int, ClientState],
    invoices: Iterable[InvoiceState],
    policies: Mapping[str, Policy],
    history: History,
    people: People,
    on: date,
    *,
    explain: bool = False,
    want: frozenset[str] = EVERY,
) -> Plan:
    """Everything due on `on`. `invoices` are the open ones (any order). Actions of a status
    not in `want` are only counted (`Plan.untold`): `apply` needs the due ones, and building
    the waiting and blocked ones (items, keys, reasons) would cost most of the planning."""
    from arrears.core.ladder import ClientDay, Day  # it builds on this module's records

    by_client: dict[int, list[InvoiceState]] = {}
    get = by_client.get
    for inv in invoices:
        found = get(inv[2])  # client_pk; by index: this loop sees every open invoice
        if found is None:
            by_client[inv[2]] = [inv]
        else:
            found.append(inv)
    day = Day(policies, history, people, on, explain, want)
    actions: list[Action] = []
    idle: list[Idle] = []
    broken: list[BrokenPromise] = []
    errors: list[ClientError] = []
    for external_id, client_pk in sorted([(clients[pk][1], pk) for pk in by_client]):
        mine: tuple[list, list, list] = ([], [], [])
        try:
            ClientDay(day, clients[client_pk], by_client[client_pk]).run(*mine)
        except Exception as exc:  # noqa: BLE001 - one bad row never stops the day
            errors.append(ClientError(client_pk, external_id, f"{type(exc).__name__}: {exc}"))
            continue
        actions += mine[0]
        idle += mine[1]
        broken += mine[2]
    return Plan(on, tuple(actions), tuple(idle), tuple(broken), dict(day.untold), tuple(errors))


def forecast(
    clients, invoices, policies, history: History, people, start: date, days: int
) -> list[Action]:
    """The calendar of the next `days` days, assuming nobody pays and nobody approves: each
    day's due actions are taken as done; an action that waits or needs approval is listed on
    the first day it appears."""
    h = History(
        {k: set(v) for k, v in history.done.items()},
        {k: dict(v) for k, v in history.client_done.items()},
        dict(history.last_message),
        dict(history.approvals),
        dict(history.item_approvals),
    )
    invoices = list(invoices)
    shown: set[tuple[str, str]] = set()
    out: list[Action] = []
    for n in range(days):
        day = start + timedelta(days=n)
        result = plan(clients, invoices, policies, h, people, day)
        for a in result.actions:
            if a.status != DUE:
                if (a.key, a.status) not in shown:
                    shown.add((a.key, a.status))
                    out.append(a)
                continue
            out.append(a)
            for pk, steps in a.skips:
                for sid in steps:
                    h.done.setdefault(pk, set()).add(sid)
            for i in a.items:
                if a.level == "client":
                    h.client_done.setdefault(a.client_pk, {})[a.step] = day
                else:
                    h.done.setdefault(i.invoice_pk, set()).add(i.step)
                if a.kind in ("email", "letter", "lever"):
                    h.last_message[i.invoice_pk] = day
        # a broken promise is marked once; the ladder then resumes
        if result.broken:
            gone = {b.invoice_pk for b in result.broken}
            invoices = [i._replace(promise=None) if i.pk in gone else i for i in invoices]
    return out
