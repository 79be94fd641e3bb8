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

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from arrears.core.actions import (
    EVERY,
    Action,
    BrokenPromise,
    ClientError,
    Idle,
    Item,
    Plan,
    Skip,
    Status,
    make_key,
)
from arrears.core.client_day import Day, plan_client
from arrears.core.ledger_state import (
    ClientState,
    Contact,
    History,
    InvoiceState,
    People,
    PromiseState,
)
from arrears.core.policy import CLIENT_FACING, Policy, StepLevel

# the planner's interface: its input and output records, and the statuses by name
DUE, NEEDS_APPROVAL, WAITING, BLOCKED = Status
__all__ = [
    "BLOCKED",
    "DUE",
    "EVERY",
    "NEEDS_APPROVAL",
    "WAITING",
    "Action",
    "BrokenPromise",
    "ClientError",
    "ClientState",
    "Contact",
    "History",
    "Idle",
    "InvoiceState",
    "Item",
    "People",
    "Plan",
    "PromiseState",
    "Skip",
    "Status",
    "forecast",
    "make_key",
    "plan",
]


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
    by_client: dict[int, list[InvoiceState]] = defaultdict(list)
    for invoice in invoices:
        by_client[invoice.client_pk].append(invoice)
    day = Day(policies, history, people, on, explain, want)
    actions: list[Action] = []
    idle: list[Idle] = []
    broken: list[BrokenPromise] = []
    errors: list[ClientError] = []
    for client in sorted((clients[pk] for pk in by_client), key=_by_external_id):
        try:
            mine = plan_client(day, client, by_client[client.pk])
        except Exception as exc:  # noqa: BLE001 - one bad row never stops the day
            errors.append(
                ClientError(client.pk, client.external_id, f"{type(exc).__name__}: {exc}")
            )
            continue
        actions += mine.actions
        idle += mine.idle
        broken += mine.broken
    return Plan(on, tuple(actions), tuple(idle), tuple(broken), dict(day.untold), tuple(errors))


def _by_external_id(client: ClientState) -> str:
    return client.external_id


def forecast(
    clients, invoices, policies, history: History, people, start: date, days: int
) -> list[Action]:
    """The calendar of the next `days` days, assuming nobody pays and nobody approves: each
    day's due actions are taken as done; an action that waits or needs approval is listed on
    the first day it appears."""
    h = history.copy()
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
            for skip in a.skips:
                h.done.setdefault(skip.invoice_pk, set()).update(skip.steps)
            for i in a.items:
                if a.level == StepLevel.CLIENT:
                    h.client_done.setdefault(a.client_pk, {})[a.step] = day
                else:
                    h.done.setdefault(i.invoice_pk, set()).add(i.step)
                if a.kind in CLIENT_FACING:
                    h.last_message[i.invoice_pk] = day
        # a broken promise is marked once; the ladder then resumes
        if result.broken:
            gone = {b.invoice_pk for b in result.broken}
            invoices = [i._replace(promise=None) if i.pk in gone else i for i in invoices]
    return out
