"""The day's job: plan, write the outbox, deliver. Also what the commands ask of the engine."""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import subprocess
import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from arrears.core import planner
from arrears.dunning import extensions
from arrears.dunning.loop import Delivery, Loop, lease
from arrears.dunning.models import OutboxAction, Run
from arrears.dunning.outbox import claimant_is_dead, enqueue, worker_name
from arrears.dunning.snapshot import Snapshot, load
from arrears.dunning.turns import in_memory
from arrears.ledger.models import OPEN_STATUSES, Client, Invoice, Organisation

log = logging.getLogger("arrears.engine")


@dataclass
class Report:
    on: date
    plan: planner.Plan
    queued: int
    delivery: Delivery
    by_runner: dict[str, int] = field(default_factory=dict)  # sent by other apps' performers

    @property
    def ok(self) -> bool:
        return not (self.delivery.failed or self.delivery.retrying)


@contextmanager
def no_cycle_collection():
    """Planning allocates a few objects per open invoice and makes no reference cycles; on a
    big ledger Python's cycle collector would spend a third of the time looking for some. The
    objects made meanwhile are frozen (left out of later collections, which would otherwise walk
    them all once at the first allocation after re-enabling); they are freed by reference
    counting as usual, and the next planning unfreezes the previous one's leftovers."""
    was = gc.isenabled()
    gc.disable()
    gc.unfreeze()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.enable()


def make_plan(
    org: Organisation,
    on: date,
    *,
    client_id: str | None = None,
    explain: bool = False,
    want: frozenset[str] = planner.EVERY,
) -> tuple[planner.Plan, Snapshot]:
    """The ladder's plan for `on`, plus the actions other apps add (extensions.planners).
    `want`: the statuses to build actions for (the others are only counted)."""
    with no_cycle_collection():
        snap = load(org, client_id=client_id)
        result = snap.plan(on, explain=explain, want=want)
    more = [a for fn in extensions.planners.values() for a in fn(org, on, snap)]
    if client_id is not None:
        more = [a for a in more if a.client_id == client_id]
    more = [a for a in more if a.status in want]
    if more:
        result = replace(result, actions=result.actions + tuple(more))
    return result, snap


def calendar(
    org: Organisation, start: date, days: int, *, client_id: str | None = None
) -> list[planner.Action]:
    with no_cycle_collection():
        snap = load(org, client_id=client_id)
        return planner.forecast(
            snap.clients, snap.invoices, snap.policies, snap.history, snap.people, start, days
        )


def run_day(
    org: Organisation,
    on: date,
    *,
    now: datetime | None = None,
    honour_window: bool = True,
    daily: bool = False,
    progress: Callable[[int], None] | None = None,
    on_ready: Callable[[int], None] | None = None,
    workers: int = 1,
) -> Report | None:
    """Plan `on`, queue what is due, deliver. With `daily`, at most once per organisation and
    day (however many servers run the job); returns None when it already ran. With `workers`
    above 1 and a big outbox, helper processes deliver alongside this one."""
    run = start_run(org, on, daily=daily)
    if run is None:
        return None
    try:
        return _run_day(org, on, run, now, honour_window, progress, on_ready, workers)
    except BaseException:
        # let the next tick (or run) take the day over at once rather than skip it
        Run.objects.filter(pk=run.pk, claimed_by=run.claimed_by).update(
            claimed_by="", lease_until=None
        )
        raise


def record_errors(org: Organisation, plan: planner.Plan, snap: Snapshot) -> None:
    """Each client the planner could not plan (bad data raised): logged, and one alert to the
    accounting team per client and problem (not one a day), in the client's timeline."""
    for error in plan.errors:
        log.error("planning %s on %s failed: %s", error.client_id, plan.on, error.message)
        digest = hashlib.sha256(error.message.encode()).hexdigest()[:12]
        OutboxAction.objects.get_or_create(
            organisation=org,
            key=f"client-error/{error.client_id}/{digest}",
            defaults={
                "client_id": error.client_pk,
                "step": "client-error",
                "kind": "internal",
                "level": "client",
                "template": "client-error",
                "policy": "",
                "scheduled_for": plan.on,
                "to": list(snap.people.accounting or (org.accounts_email,)),
                "reason": error.message,
                "data": {"error": error.message, "client_id": error.client_id},
            },
        )


def start_run(org: Organisation, on: date, *, daily: bool) -> Run | None:
    """A new run, claimed by this process with a lease like an outbox row's. The daily run is
    once per organisation and day: None when it finished, or runs in a live process; a daily
    run whose process crashed (or was killed) is taken over, never skipped."""
    me, now = worker_name(), timezone.now()
    claim = {"claimed_by": me, "lease_until": now + lease()}
    try:
        with transaction.atomic():
            return Run.objects.create(organisation=org, on=on, daily=daily, **claim)
    except IntegrityError:
        pass
    run = Run.objects.filter(organisation=org, on=on, daily=True).first()
    if run is None or run.finished_at is not None:
        return None
    abandoned = not run.claimed_by or claimant_is_dead(run.claimed_by)
    if not (abandoned or (run.lease_until and run.lease_until < now)):
        return None
    taken = Run.objects.filter(
        pk=run.pk, finished_at__isnull=True, claimed_by=run.claimed_by
    ).update(**claim)
    if not taken:
        return None
    run.claimed_by, run.lease_until = me, claim["lease_until"]
    return run


def renew_run(run: Run) -> None:
    Run.objects.filter(pk=run.pk, claimed_by=run.claimed_by).update(
        lease_until=timezone.now() + lease()
    )


def _run_day(org, on, run, now, honour_window, progress, on_ready, workers) -> Report:
    # On a big ledger's first run of the day the helpers start while this one plans (their own
    # start takes as long as planning a few thousand actions); they wait for the word to go.
    early = []
    if workers > 1 and first_big_run(org, on, run):
        early = start_helpers(org, on, honour_window, workers - 1, wait=True)
    try:
        result, snap = make_plan(org, on, want=APPLY_WANTS)
        zones = {pk: c.timezone for pk, c in snap.clients.items()}
        others = {a.client_pk for a in result.actions} - zones.keys()
        zones.update(
            Client.objects.for_org(org).filter(pk__in=others).values_list("pk", "timezone")
        )
        queued = enqueue(org, result, zones, snap.policies)
        record_errors(org, result, snap)
        renew_run(run)
        deliverer = Loop(
            org,
            on,
            now=now,
            honour_window=honour_window,
            policies=snap.policies,
            progress=progress,
            heartbeat=lambda: renew_run(run),
        )
        ready = deliverer.count_ready()
        if on_ready is not None:
            on_ready(ready)
    except BaseException:
        release(early, go=False)
        raise
    go = ready >= HELPERS_FROM
    release(early, go=go)
    helpers = (early or start_helpers(org, on, honour_window, workers - 1)) if go else []
    delivery = deliverer.run()
    for helper in helpers:
        merge(delivery, finish_helper(helper))
    for helper in early if not go else ():
        helper.communicate()  # they left at once
    for job in extensions.day_jobs.values():
        job(org, on, result)
    # what the day's messages and jobs queued for the other apps (hooks, alerts, the digest);
    # a row this loop already tried (a retry for later) is not tried again in the same run
    deliverer.run()
    delivery.problems[:0] = [
        f"{e.client_id}: could not be planned: {e.message}" for e in result.errors
    ]
    by_runner = {kind: n for kind, n in delivery.by_kind.items() if kind in extensions.performers}
    Run.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(),
        claimed_by="",
        planned=queued,
        sent=delivery.sent,
        failed=delivery.failed,
        cancelled=delivery.cancelled,
        retrying=delivery.retrying,
        error="\n".join(delivery.problems)[:10_000],
    )
    return Report(on, result, queued, delivery, by_runner)


# due: queued; needing an approval: for the day jobs (which approvals wait); the rest counted
APPLY_WANTS = frozenset({planner.DUE, planner.NEEDS_APPROVAL})
HELPERS_FROM = 200  # below this many ready messages, extra processes cost more than they save


def first_big_run(org: Organisation, on: date, run: Run) -> bool:
    """No run before this one today, and at least HELPERS_FROM open invoices."""
    if Run.objects.filter(organisation=org, on=on).exclude(pk=run.pk).exists():
        return False
    open_ = Invoice.objects.for_org(org).filter(status__in=OPEN_STATUSES)
    return open_.values("pk")[:HELPERS_FROM].count() == HELPERS_FROM


def start_helpers(
    org: Organisation, on: date, honour_window: bool, n: int, *, wait: bool = False
) -> list[subprocess.Popen]:
    """`arrears deliver` processes that claim and send from the same outbox: the claims keep
    them apart, and each uses its own core and its own connection to the mail server. With
    `wait`, each starts up and then waits for `release` before it touches the outbox."""
    if n <= 0 or in_memory() or "memory" in str(connection.settings_dict["TEST"].get("NAME") or ""):
        return []
    if "smtp" not in settings.MAILERS["default"]["BACKEND"]:
        return []  # console, file, memory: one process, so that what it prints is all there
    args = [sys.executable, "-m", "arrears", "--org", org.slug, "deliver", "--json"]
    if not honour_window:
        args += ["--date", on.isoformat()]
    if wait:
        args.append("--after-go")
    return [
        subprocess.Popen(
            args,
            stdin=subprocess.PIPE if wait else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]


def release(helpers: list[subprocess.Popen], *, go: bool) -> None:
    """Tell waiting helpers to deliver, or to leave without touching the outbox."""
    for proc in helpers:
        try:
            proc.stdin.write("go\n" if go else "stop\n")
            proc.stdin.close()
        except OSError:  # it died starting: finish_helper reports it
            pass
        proc.stdin = None  # communicate() would flush it


def finish_helper(proc: subprocess.Popen) -> Delivery:
    out, err = proc.communicate()
    try:
        data = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return Delivery(problems=[f"a helper process failed: {err.strip()[-500:]}"])
    return Delivery(**data)


def merge(into: Delivery, other: Delivery) -> None:
    into.merge(other)


def deliver_due(
    org: Organisation, on: date, *, now: datetime | None = None, honour_window: bool = True
) -> Delivery:
    """Do what is queued and ready (retries, send windows that opened), without planning."""
    from arrears.dunning.policy_store import load_policies

    return Loop(org, on, now=now, honour_window=honour_window, policies=load_policies(org)).run()
