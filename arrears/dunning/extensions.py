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
- `add_context(fn)`: `fn(organisation, action, invoices, on, policy) -> dict` is merged into
  the template context of every message `compose()` renders (after the engine's own keys,
  before the action's `data`), so an app can quote its figures in the words of a step;
  `policy` is the action's (None if it has none) and says what the step does.
- `add_covered(name, fn)`: `fn(organisation) -> set of invoice pks` covered by an active
  payment plan; the snapshot marks them `on_plan` and the ladder pauses them (plans).
- `add_timeline(name, fn)`: `fn(client) -> iterable of timeline.Event` is the app's part of a
  client's story (plans, service levels, charges); the timeline sorts them in with its own.

The engine imports none of the apps (a contract in pyproject.toml holds it): they come in
only through these functions, `dunning.signals` and the channels' registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from arrears.core.planner import Action, Plan
    from arrears.core.policy import Policy
    from arrears.dunning.loop import Loop, Performer
    from arrears.dunning.models import OutboxAction
    from arrears.dunning.snapshot import Snapshot
    from arrears.dunning.timeline import Event
    from arrears.ledger.models import Client, Invoice, Organisation

Planner = Callable[["Organisation", date, "Snapshot"], Iterable["Action"]]
PerformerFactory = Callable[["Loop"], "Performer"]
DayJob = Callable[["Organisation", date, "Plan"], None]
Note = Callable[["Organisation", date], "str | None"]
ContextFn = Callable[["Organisation", "OutboxAction", list["Invoice"], date, "Policy | None"], dict]
Covered = Callable[["Organisation"], set[int]]
TimelineFn = Callable[["Client"], Iterable["Event"]]

planners: dict[str, Planner] = {}
performers: dict[str, PerformerFactory] = {}
day_jobs: dict[str, DayJob] = {}
notes: dict[str, Note] = {}
contexts: list[ContextFn] = []
covering: dict[str, Covered] = {}
timelines: dict[str, TimelineFn] = {}


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


def context_for(organisation, action, invoices, on: date, policy: Policy | None = None) -> dict:
    """What every registered context function adds for this message."""
    extra: dict = {}
    for fn in contexts:
        extra.update(fn(organisation, action, invoices, on, policy))
    return extra


def add_covered(name: str, fn: Covered) -> None:
    covering[name] = fn


def covered(organisation) -> set[int]:
    """The invoices some app's payment plan covers: off the ladder while it does."""
    found: set[int] = set()
    for fn in covering.values():
        found |= fn(organisation)
    return found


def add_timeline(name: str, fn: TimelineFn) -> None:
    timelines[name] = fn


def timeline_events(client) -> list[Event]:
    """What every registered app adds to the client's timeline."""
    return [event for fn in timelines.values() for event in fn(client)]
