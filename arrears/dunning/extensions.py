"""Extension points of the daily run, filled by other apps in their `AppConfig.ready()`.

- `add_planner(name, fn)`: `fn(organisation, on, snapshot) -> iterable of planner.Action`
  adds actions to the day's plan (what `arrears plan` shows and `arrears apply` queues), next to
  the ladder's. Their keys must be stable, like the planner's.
- `add_runner(kind, fn)`: outbox actions of `kind` are not email; `fn(organisation, on, now)
  -> Delivery` claims and performs them (after the day's email is delivered). The email
  deliverer leaves rows of these kinds alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from arrears.core.planner import Action
    from arrears.dunning.delivery import Delivery
    from arrears.dunning.snapshot import Snapshot
    from arrears.ledger.models import Organisation

Planner = Callable[["Organisation", date, "Snapshot"], Iterable["Action"]]
Runner = Callable[["Organisation", date, datetime], "Delivery"]

planners: dict[str, Planner] = {}
runners: dict[str, Runner] = {}


def add_planner(name: str, fn: Planner) -> None:
    planners[name] = fn


def add_runner(kind: str, fn: Runner) -> None:
    runners[kind] = fn
