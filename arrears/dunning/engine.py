"""The day's job: plan, write the outbox, deliver. Also what the commands ask of the engine."""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from arrears.core import planner
from arrears.dunning.models import Run
from arrears.dunning.outbox import Deliverer, Delivery, enqueue
from arrears.dunning.snapshot import Snapshot, load
from arrears.ledger.models import Organisation


@dataclass
class Report:
    on: date
    plan: planner.Plan
    queued: int
    delivery: Delivery

    @property
    def ok(self) -> bool:
        return not (self.delivery.failed or self.delivery.retrying)


@contextmanager
def no_cycle_collection():
    """Planning allocates a few objects per open invoice and makes no reference cycles; on a
    big ledger Python's cycle collector would spend a third of the time looking for some."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def make_plan(
    org: Organisation, on: date, *, client_id: str | None = None, explain: bool = False
) -> tuple[planner.Plan, Snapshot]:
    with no_cycle_collection():
        snap = load(org, client_id=client_id)
        result = planner.plan(
            snap.clients,
            snap.invoices,
            snap.policies,
            snap.history,
            snap.people,
            on,
            explain=explain,
        )
    return result, snap


def calendar(
    org: Organisation, start: date, days: int, *, client_id: str | None = None
) -> list[planner.Action]:
    with no_cycle_collection():
        snap = load(org, client_id=client_id)
        return planner.forecast(
            snap.clients, snap.invoices, snap.policies, snap.history, snap.people, start, days
        )


def policy_for(snap: Snapshot, client_pk: int):
    name = snap.clients[client_pk].policy
    return snap.policies.get(name or "default", snap.policies["default"])


def run_day(
    org: Organisation,
    on: date,
    *,
    now: datetime | None = None,
    honour_window: bool = True,
    daily: bool = False,
    progress: Callable[[int], None] | None = None,
    on_ready: Callable[[int], None] | None = None,
) -> Report | None:
    """Plan `on`, queue what is due, deliver. With `daily`, at most once per organisation and
    day (however many servers run the job); returns None when it already ran."""
    try:
        with transaction.atomic():
            run = Run.objects.create(organisation=org, on=on, daily=daily)
    except IntegrityError:
        return None
    result, snap = make_plan(org, on)
    clients_tz = {pk: (c.timezone, policy_for(snap, pk)) for pk, c in snap.clients.items()}
    queued = enqueue(org, result, clients_tz)
    deliverer = Deliverer(
        org, on, now=now, honour_window=honour_window, policies=snap.policies, progress=progress
    )
    if on_ready is not None:
        on_ready(deliverer.count_ready())
    delivery = deliverer.run()
    Run.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(),
        planned=queued,
        sent=delivery.sent,
        failed=delivery.failed,
        cancelled=delivery.cancelled,
        retrying=delivery.retrying,
        error="\n".join(delivery.problems)[:10_000],
    )
    return Report(on, result, queued, delivery)


def deliver_due(org: Organisation, on: date, *, now: datetime | None = None) -> Delivery:
    """Send what is queued and ready (retries, send windows that opened), without planning."""
    from arrears.dunning.policy_store import load_policies

    return Deliverer(org, on, now=now, policies=load_policies(org)).run()
