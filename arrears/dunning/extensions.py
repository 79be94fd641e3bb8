"""Extension points of the daily run, filled by other apps in their `AppConfig.ready()`.

- `add_planner(name, fn)`: `fn(organisation, on, snapshot) -> iterable of planner.Action`
  adds actions to the day's plan (what `arrears plan` shows and `arrears apply` queues), next to
  the ladder's. Their keys must be stable, like the planner's.
- `add_performer(kind, factory)`: outbox actions of `kind` are performed by `factory(loop)`, a
  `loop.Performer` (its `perform(row)` does the side effect through a channel and records it).
  The one outbox loop (loop.py) claims, renews the lease, retries and alerts for every kind;
  a performer never does. Kinds no app registers are the engine's messages (`"*"`).
- `add_day_job(name, fn)`: `fn(organisation, on, plan)` runs once per `arrears apply` (and daily
  run), after the day's email is delivered and before the runners, with the day's plan (its
  due and needs-approval actions built, the other statuses counted): bookkeeping that depends
  on the plan, such as which approvals are waiting, without planning again.
- `add_note(name, fn)`: `fn(organisation, on) -> str | None` is a line `arrears plan` prints
  under the day's plan, for what the run will also do that is not an action of the plan (the
  daily digest, queued by a day job).
- `add_context(fn)`: `fn(organisation, action, invoices, on) -> dict` is merged into the
  template context of every message `compose()` renders (after the engine's own keys, before
  the action's `data`), so an app can quote its figures in the words of a step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from arrears.core.planner import Action, Plan
    from arrears.dunning.loop import Loop, Performer
    from arrears.dunning.models import OutboxAction
    from arrears.dunning.snapshot import Snapshot
    from arrears.ledger.models import Invoice, Organisation

Planner = Callable[["Organisation", date, "Snapshot"], Iterable["Action"]]
PerformerFactory = Callable[["Loop"], "Performer"]
DayJob = Callable[["Organisation", date, "Plan"], None]
Note = Callable[["Organisation", date], "str | None"]
ContextFn = Callable[["Organisation", "OutboxAction", list["Invoice"], date], dict]

planners: dict[str, Planner] = {}
performers: dict[str, PerformerFactory] = {}
day_jobs: dict[str, DayJob] = {}
notes: dict[str, Note] = {}
contexts: list[ContextFn] = []


def add_planner(name: str, fn: Planner) -> None:
    planners[name] = fn


def add_performer(kind: str, factory: PerformerFactory) -> None:
    performers[kind] = factory


def add_day_job(name: str, fn: DayJob) -> None:
    day_jobs[name] = fn


def add_note(name: str, fn: Note) -> None:
    notes[name] = fn


def notes_for(organisation, on: date) -> list[str]:
    """The lines the registered notes have for `on`."""
    return [line for fn in notes.values() if (line := fn(organisation, on))]


def add_context(fn: ContextFn) -> None:
    if fn not in contexts:  # ready() may run twice in tests; a figure is added once
        contexts.append(fn)


def context_for(organisation, action, invoices, on: date) -> dict:
    """What every registered context function adds for this message."""
    extra: dict = {}
    for fn in contexts:
        extra.update(fn(organisation, action, invoices, on))
    return extra
