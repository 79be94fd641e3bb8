"""The durable outbox: due actions are written before anything is sent, claimed by one worker,
re-checked against the ledger, sent, and only then marked sent.

Guarantees (see ARCHITECTURE.md):
- an action is a row with a unique key: planning it twice, in one process or two, finds the
  same row;
- a worker claims rows with a conditional UPDATE inside a transaction (`FOR UPDATE SKIP LOCKED`
  on PostgreSQL; SQLite's `BEGIN IMMEDIATE` serialises the claim), so two workers never send
  the same row;
- each (invoice, step) is written as a StepRecord `in_flight` before the send, under a unique
  constraint: no step is performed twice for an invoice, whatever the actions are;
- a worker that dies between sending and marking leaves the row `sending`; the next run takes
  it over (at once when the dead worker was on this machine, else when its lease ends) and
  sends it again. Email is therefore at-least-once across a crash in that window, and exactly
  once otherwise.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from arrears.core.planner import DUE, Plan
from arrears.core.policy import Policy
from arrears.dunning.models import (
    ActionStatus,
    OutboxAction,
    OutboxItem,
    Promise,
    PromiseStatus,
)
from arrears.dunning.sql import adapted, insert_new
from arrears.env import env_int
from arrears.ledger.models import Organisation

LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 8
BACKOFF = (1, 5, 30, 120, 360, 720, 1440)  # multiples of ARREARS_RETRY_BASE_SECONDS
# internal alerts: the key alone makes them once
NO_RECORDS = ("promise-broken", "send-failed", "client-error")


def retry_delay(attempts: int) -> timedelta:
    base = env_int("ARREARS_RETRY_BASE_SECONDS", 60)
    return timedelta(seconds=base * BACKOFF[min(attempts, len(BACKOFF)) - 1])


# -- writing the plan ---------------------------------------------------------------------------
NEW_ACTION = (  # the columns of a new outbox row; the others (times of sending) are empty
    "organisation",
    "key",
    "client",
    "step",
    "kind",
    "level",
    "template",
    "policy",
    "status",
    "scheduled_for",
    "not_before",
    "not_after",
    "to",
    "cc",
    "reason",
    "promise",
    "data",
    "created_at",
    "attempts",
    "claimed_by",
    "last_error",
)


def enqueue(
    org: Organisation, plan: Plan, zones: Mapping[int, str], policies: Mapping[str, Policy]
) -> int:
    """Write the plan's due actions (new keys only); mark broken promises. Returns how many
    actions were queued now. A row waits for the send window, in the client's zone (`zones`),
    of the policy the planner used for its step (the one the re-check and the message use)."""
    due = [a for a in plan.actions if a.status == DUE]
    queued = 0
    with transaction.atomic():
        for b in plan.broken:
            Promise.objects.filter(pk=b.promise_id, status=PromiseStatus.ACTIVE).update(
                status=PromiseStatus.BROKEN, closed_on=plan.on
            )
        if not due:
            return 0
        existing = {}
        for batch in _chunks([a.key for a in due], 500):
            for row in (
                OutboxAction.objects.for_org(org)
                .filter(key__in=batch)
                .only("pk", "key", "status", "to", "cc")
            ):
                existing[row.key] = row
        new = []
        now = timezone.now()
        for a in due:
            row = existing.get(a.key)
            if row is not None:
                # due again: cancelled (a payment was reversed, say), or failed for good and the
                # recipients have been corrected since; with today's recipients and attempts
                readdressed = (list(a.to), list(a.cc)) != (row.to, row.cc)
                if row.status == ActionStatus.CANCELLED or (
                    row.status == ActionStatus.FAILED and readdressed
                ):
                    OutboxAction.objects.filter(pk=row.pk, status=row.status).update(
                        status=ActionStatus.QUEUED,
                        reason=a.reason,
                        to=list(a.to),
                        cc=list(a.cc),
                        attempts=0,
                        next_attempt_at=None,
                        last_error="",
                    )
                    queued += 1
                continue
            window = a.kind in ("email", "letter", "lever")
            start, end = (
                window_bounds(a.scheduled_for, zones[a.client_pk], policies.get(a.policy))
                if window
                else (None, None)
            )
            new.append(
                (
                    org.pk,
                    a.key,
                    a.client_pk,
                    a.step,
                    a.kind,
                    a.level,
                    a.template,
                    a.policy,
                    ActionStatus.QUEUED.value,
                    a.scheduled_for,
                    start,
                    end,
                    list(a.to),
                    list(a.cc),
                    a.reason,
                    a.promise_id,
                    dict(a.data),
                    now,
                    0,
                    "",
                    "",
                )
            )
        # only the rows this process wrote: another `apply` writing the same plan at the same
        # moment gets the others (and counts them), never both
        inserted = insert_new(
            OutboxAction,
            NEW_ACTION,
            adapted(OutboxAction, NEW_ACTION, new),
            returning=("key", "id"),
        )
        ids = dict(inserted)
        items = []
        by_key = {a.key: a for a in due}
        for key, pk in ids.items():
            a = by_key[key]
            items += [(pk, i.invoice_pk, i.step, False) for i in a.items]
            items += [(pk, inv, s, True) for inv, steps in a.skips for s in steps]
        insert_new(OutboxItem, ("action", "invoice", "step", "skipped"), items)
        _supersede(org, [by_key[k] for k in ids], ids)
        queued += len(ids)
    return queued


def _supersede(org, actions, ids) -> None:
    """A newer message about an invoice replaces an older one still waiting in the outbox.
    The older ones waiting are few (usually none): they are found first, and only their items
    are looked at, rather than sending every new invoice and action to the database."""
    fresh = {i.invoice_pk for a in actions if a.kind in ("email", "letter") for i in a.items}
    if not fresh:
        return
    waiting = set(
        OutboxAction.objects.for_org(org)
        .filter(status=ActionStatus.QUEUED, kind__in=("email", "letter"))
        .values_list("pk", flat=True)
    ) - set(ids.values())
    if not waiting:
        return
    items = OutboxItem.objects.filter(action_id__in=waiting, skipped=False).values_list(
        "pk", "action_id", "invoice_id"
    )
    stale = [(pk, action) for pk, action, invoice in items if invoice in fresh]
    OutboxItem.objects.filter(pk__in=[pk for pk, _ in stale]).delete()
    for pk in {action for _, action in stale}:
        if not OutboxItem.objects.filter(action_id=pk, skipped=False).exists():
            OutboxAction.objects.filter(pk=pk, status=ActionStatus.QUEUED).update(
                status=ActionStatus.CANCELLED, reason="superseded by a later message"
            )


DEFAULT_WINDOW = (time(8, 0), time(18, 0))  # for a row whose policy is gone: the default's


def window_bounds(day: date, tz: str, policy: Policy | None) -> tuple[datetime, datetime]:
    """The send window of `day` in the client's zone, as UTC instants (start, end)."""
    start, end = policy.send_window if policy else DEFAULT_WINDOW
    zone, utc = ZoneInfo(tz), ZoneInfo("UTC")
    return (
        datetime.combine(day, start, tzinfo=zone).astimezone(utc),
        datetime.combine(day, end, tzinfo=zone).astimezone(utc),
    )


def _chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


# -- delivering ---------------------------------------------------------------------------------
def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claimant_is_dead(claimed_by: str) -> bool:
    host, _, rest = claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
