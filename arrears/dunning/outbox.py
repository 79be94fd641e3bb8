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
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from arrears.channels.base import TransportError
from arrears.channels.email.transport import EmailTransport
from arrears.core.planner import DUE, Plan
from arrears.core.policy import Policy
from arrears.dunning.compose import compose
from arrears.dunning.models import (
    ActionStatus,
    Dispute,
    Message,
    OutboxAction,
    OutboxItem,
    Promise,
    PromiseStatus,
    StepRecord,
    StepState,
)
from arrears.env import env_int
from arrears.ledger.models import OPEN_STATUSES, Invoice, Organisation

LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 8
BACKOFF = (1, 5, 30, 120, 360, 720, 1440)  # multiples of ARREARS_RETRY_BASE_SECONDS
NO_RECORDS = ("promise-broken", "send-failed")  # internal alerts: the key alone makes them once


def retry_delay(attempts: int) -> timedelta:
    base = env_int("ARREARS_RETRY_BASE_SECONDS", 60)
    return timedelta(seconds=base * BACKOFF[min(attempts, len(BACKOFF)) - 1])


@dataclass
class Delivery:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    problems: list[str] = field(default_factory=list)


# -- writing the plan ---------------------------------------------------------------------------
def enqueue(org: Organisation, plan: Plan, clients_tz: dict[int, tuple[str, Policy]]) -> int:
    """Write the plan's due actions (new keys only); mark broken promises. Returns how many
    actions were queued now."""
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
                OutboxAction.objects.for_org(org).filter(key__in=batch).only("pk", "key", "status")
            ):
                existing[row.key] = row
        new = []
        for a in due:
            row = existing.get(a.key)
            if row is not None:
                if row.status == ActionStatus.CANCELLED:  # due again (a payment was reversed, say)
                    OutboxAction.objects.filter(pk=row.pk).update(
                        status=ActionStatus.QUEUED, reason=a.reason
                    )
                    queued += 1
                continue
            tz, policy = clients_tz[a.client_pk]
            new.append(
                OutboxAction(
                    organisation=org,
                    key=a.key,
                    client_id=a.client_pk,
                    step=a.step,
                    kind=a.kind,
                    level=a.level,
                    template=a.template,
                    policy=a.policy,
                    scheduled_for=a.scheduled_for,
                    to=list(a.to),
                    cc=list(a.cc),
                    reason=a.reason,
                    promise_id=a.promise_id,
                    not_before=_window_start(a.scheduled_for, tz, policy)
                    if a.kind in ("email", "letter", "lever")
                    else None,
                )
            )
        OutboxAction.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        ids = {}
        for batch in _chunks([r.key for r in new], 500):
            ids.update(
                dict(
                    OutboxAction.objects.for_org(org).filter(key__in=batch).values_list("key", "pk")
                )
            )
        items = []
        by_key = {a.key: a for a in due}
        for key, pk in ids.items():
            a = by_key[key]
            items += [
                OutboxItem(action_id=pk, invoice_id=i.invoice_pk, step=i.step) for i in a.items
            ]
            items += [
                OutboxItem(action_id=pk, invoice_id=inv, step=s, skipped=True)
                for inv, steps in a.skips
                for s in steps
            ]
        OutboxItem.objects.bulk_create(items, batch_size=2000, ignore_conflicts=True)
        _supersede(org, [by_key[k] for k in ids], ids)
        queued += len(ids)
    return queued


def _supersede(org, actions, ids) -> None:
    """A newer message about an invoice replaces an older one still waiting in the outbox."""
    fresh = {i.invoice_pk for a in actions if a.kind in ("email", "letter") for i in a.items}
    if not fresh:
        return
    stale = OutboxItem.objects.filter(
        action__organisation=org,
        action__status=ActionStatus.QUEUED,
        action__kind__in=("email", "letter"),
        invoice_id__in=fresh,
        skipped=False,
    ).exclude(action_id__in=ids.values())
    touched = set(stale.values_list("action_id", flat=True))
    stale.delete()
    for pk in touched:
        if not OutboxItem.objects.filter(action_id=pk, skipped=False).exists():
            OutboxAction.objects.filter(pk=pk, status=ActionStatus.QUEUED).update(
                status=ActionStatus.CANCELLED, reason="superseded by a later message"
            )


def _window_start(day, tz: str, policy: Policy) -> datetime:
    start = policy.send_window[0]
    return datetime.combine(day, start, tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def _chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


# -- delivering ---------------------------------------------------------------------------------
def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claimant_is_dead(claimed_by: str) -> bool:
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


class Deliverer:
    """Claims and sends due outbox rows, one connection to the mail server for the whole run."""

    def __init__(
        self,
        org: Organisation,
        on,
        *,
        now: datetime | None = None,
        honour_window: bool = True,
        policies: dict[str, Policy] | None = None,
        progress: Callable[[int], None] | None = None,
    ):
        self.org = org
        self.on = on
        self.now = now or timezone.now()
        self.honour_window = honour_window
        self.policies = policies or {}
        self.progress = progress
        self.me = worker_name()
        self.transport = EmailTransport()
        self.result = Delivery()

    def ready(self):
        q = Q(status=ActionStatus.QUEUED) & (
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=self.now)
        )
        if self.honour_window:
            q &= Q(not_before__isnull=True) | Q(not_before__lte=self.now)
        return OutboxAction.objects.for_org(self.org).filter(q)

    def count_ready(self) -> int:
        return self.ready().count()

    def _take_over_stale(self) -> None:
        """Rows left `sending` by a worker that died (on this machine) or whose lease ended."""
        stale = OutboxAction.objects.for_org(self.org).filter(status=ActionStatus.SENDING)
        for pk, claimed_by, lease in stale.values_list("pk", "claimed_by", "lease_until"):
            if (lease and lease < self.now) or _claimant_is_dead(claimed_by):
                OutboxAction.objects.filter(
                    pk=pk, status=ActionStatus.SENDING, claimed_by=claimed_by
                ).update(
                    status=ActionStatus.QUEUED, claimed_by="", next_attempt_at=None, not_before=None
                )

    def claim(self, limit: int = 20) -> list[int]:
        with transaction.atomic():
            qs = self.ready().order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            ids = list(qs.values_list("pk", flat=True)[:limit])
            if ids:
                OutboxAction.objects.filter(pk__in=ids, status=ActionStatus.QUEUED).update(
                    status=ActionStatus.SENDING,
                    claimed_by=self.me,
                    lease_until=self.now + LEASE,
                    attempts=F("attempts") + 1,
                )
        return ids

    def run(self) -> Delivery:
        self._take_over_stale()
        try:
            while True:
                ids = self.claim()
                if not ids:
                    break
                for pk in ids:
                    try:
                        self.deliver(pk)
                    except Exception as exc:  # noqa: BLE001 - one bad row must not stop the others
                        self._crashed(pk, exc)
                    if self.progress:
                        self.progress(1)
        finally:
            self.transport.close()
        return self.result

    def deliver(self, pk: int) -> None:
        row = OutboxAction.objects.select_related("client").get(pk=pk)
        if row.status != ActionStatus.SENDING or row.claimed_by != self.me:
            return  # taken over by someone else
        invoices, dropped = self.recheck(row)
        if not invoices and row.step != "send-failed":
            self._finish(
                row, ActionStatus.CANCELLED, reason="; ".join(dropped) or "nothing left to send"
            )
            self.result.cancelled += 1
            return
        invoices = self._claim_steps(row, invoices)
        if not invoices and row.step != "send-failed":
            self._finish(row, ActionStatus.CANCELLED, reason="already performed by another action")
            self.result.cancelled += 1
            return
        extra = self._extra(row)
        outgoing, references = compose(
            self.org, row, invoices, self.policies.get(row.policy), self.on, extra
        )
        try:
            self.transport.send(outgoing)
        except TransportError as exc:
            self._failed(row, exc)
            return
        self._sent(row, invoices, outgoing, references)
        self.result.sent += 1

    # -- the steps of one delivery ---------------------------------------------------------
    def recheck(self, row: OutboxAction) -> tuple[list[Invoice], list[str]]:
        """The action's invoices that still need it, as the ledger is now."""
        pks = list(row.items.filter(skipped=False).values_list("invoice_id", flat=True))
        invoices = list(
            Invoice.objects.filter(pk__in=pks)
            .select_related("contract")
            .order_by("due_date", "number")
        )
        if row.step in NO_RECORDS:
            return [i for i in invoices if i.status in OPEN_STATUSES], []
        policy = self.policies.get(row.policy)
        minimum = policy.minimum_amount if policy else 0
        grace = timedelta(days=policy.promise_grace_days if policy else 3)
        disputed = set(
            Dispute.objects.filter(invoice_id__in=pks, resolved_on__isnull=True).values_list(
                "invoice_id", flat=True
            )
        )
        promised = {
            inv
            for inv, until in Promise.objects.filter(
                invoice_id__in=pks, status=PromiseStatus.ACTIVE
            ).values_list("invoice_id", "until")
            if self.on <= until + grace
        }
        keep, dropped = [], []
        for inv in invoices:
            if inv.status not in OPEN_STATUSES:
                dropped.append(f"{inv.number} is {inv.get_status_display().lower()}")
            elif inv.pk in disputed:
                dropped.append(f"{inv.number} is disputed")
            elif inv.pk in promised:
                dropped.append(f"{inv.number} is promised")
            elif inv.outstanding < minimum:
                dropped.append(f"{inv.number} owes less than the minimum")
            else:
                keep.append(inv)
        return keep, dropped

    def _records(self, row: OutboxAction) -> bool:
        return row.step not in NO_RECORDS and row.template != "step-alert"

    def _claim_steps(self, row: OutboxAction, invoices: list[Invoice]) -> list[Invoice]:
        """Write each (invoice, step) in flight before sending; an invoice whose step another
        action already holds is left out."""
        if not self._records(row):
            return invoices
        steps = dict(row.items.filter(skipped=False).values_list("invoice_id", "step"))
        if row.level == "client":
            try:
                with transaction.atomic():
                    StepRecord.objects.get_or_create(
                        organisation=self.org,
                        client=row.client,
                        invoice=None,
                        step=row.step,
                        defaults={
                            "kind": row.kind,
                            "state": StepState.IN_FLIGHT,
                            "action": row,
                            "on": self.on,
                        },
                    )
            except IntegrityError:
                pass
            holder = (
                StepRecord.objects.filter(client=row.client, invoice=None, step=row.step)
                .values_list("action_id", flat=True)
                .first()
            )
            return invoices if holder == row.pk else []
        keep = []
        for inv in invoices:
            try:
                with transaction.atomic():
                    record, _ = StepRecord.objects.get_or_create(
                        invoice=inv,
                        step=steps[inv.pk],
                        defaults={
                            "organisation": self.org,
                            "client": row.client,
                            "kind": row.kind,
                            "state": StepState.IN_FLIGHT,
                            "action": row,
                            "on": self.on,
                        },
                    )
            except IntegrityError:
                record = StepRecord.objects.get(invoice=inv, step=steps[inv.pk])
            if record.action_id == row.pk:
                keep.append(inv)
        return keep

    def _extra(self, row: OutboxAction) -> dict:
        if row.step == "promise-broken" and row.promise_id:
            return {"promised_date": row.promise.until.isoformat()}
        if row.step == "send-failed":
            key, _, step = row.reason.partition("|")
            return {"failed_key": key, "failed_step": step, "error": row.last_error}
        return {}

    def _sent(self, row: OutboxAction, invoices: list[Invoice], outgoing, references) -> None:
        now = timezone.now()
        with transaction.atomic():
            msg = Message.objects.create(
                organisation=self.org,
                client=row.client,
                action=row,
                kind=row.kind,
                step=row.step,
                subject=outgoing.subject,
                body_text=outgoing.text,
                body_html=outgoing.html,
                from_email=outgoing.from_email,
                to=list(outgoing.to),
                cc=list(outgoing.cc),
                reply_to=outgoing.reply_to,
                message_id=outgoing.headers["Message-ID"],
                in_reply_to=outgoing.headers.get("In-Reply-To", ""),
                references=" ".join(references),
                sent_at=now,
            )
            msg.invoices.set(invoices)
            if self._records(row):
                StepRecord.objects.filter(action=row, state=StepState.IN_FLIGHT).update(
                    state=StepState.PERFORMED
                )
                kept = {i.pk for i in invoices}
                skipped = [
                    StepRecord(
                        organisation=self.org,
                        client_id=row.client_id,
                        invoice_id=inv,
                        step=step,
                        kind=row.kind,
                        state=StepState.SKIPPED,
                        action=row,
                        on=self.on,
                    )
                    for inv, step in row.items.filter(skipped=True).values_list(
                        "invoice_id", "step"
                    )
                    if inv in kept
                ]
                StepRecord.objects.bulk_create(skipped, ignore_conflicts=True)
            self._finish(row, ActionStatus.SENT, sent_at=now)

    def _failed(self, row: OutboxAction, exc: TransportError) -> None:
        with transaction.atomic():
            StepRecord.objects.filter(
                action=row, state=StepState.IN_FLIGHT
            ).delete()  # let go of the steps
            if exc.permanent or row.attempts >= MAX_ATTEMPTS:
                self._finish(row, ActionStatus.FAILED, last_error=exc.message)
                self.result.failed += 1
                self.result.problems.append(f"{row.key}: {exc.message}")
                if row.kind not in ("internal", "recommendation"):
                    self._alert_failure(row, exc)
            else:
                self._finish(
                    row,
                    ActionStatus.QUEUED,
                    last_error=exc.message,
                    next_attempt_at=timezone.now() + retry_delay(row.attempts),
                )
                self.result.retrying += 1
                self.result.problems.append(f"{row.key}: {exc.message} (will retry)")

    def _crashed(self, pk: int, exc: Exception) -> None:
        """A bug or bad data while preparing a row: push it back (or give up after a few
        tries), record why, carry on with the others."""
        import logging

        logging.getLogger("arrears.outbox").exception("action %s raised", pk)
        row = OutboxAction.objects.get(pk=pk)
        self._failed(
            row, TransportError(f"{type(exc).__name__}: {exc}", permanent=row.attempts >= 3)
        )

    def _alert_failure(self, row: OutboxAction, exc: TransportError) -> None:
        from arrears.dunning.snapshot import _people

        people = _people(self.org)
        to = list(
            dict.fromkeys(
                [row.client.sales_owner_email, *people.accounting]
                if row.client.sales_owner_email
                else people.accounting
            )
        )
        alert, _ = OutboxAction.objects.get_or_create(
            organisation=self.org,
            key=f"send-failed/{row.key}"[:250],
            defaults={
                "client": row.client,
                "step": "send-failed",
                "kind": "internal",
                "level": "client",
                "template": "send-failed",
                "policy": row.policy,
                "scheduled_for": self.on,
                "to": to,
                "reason": f"{row.key}|{row.step}",
                "last_error": exc.message,
            },
        )

    def _finish(self, row: OutboxAction, status: str, **fields) -> None:
        fields.update(
            status=status,
            attempts=row.attempts,
            claimed_by="" if status != ActionStatus.SENDING else row.claimed_by,
        )
        if status == ActionStatus.CANCELLED:
            fields.setdefault("reason", row.reason)
        OutboxAction.objects.filter(pk=row.pk, claimed_by=self.me).update(**fields)


def pending_by_client(org: Organisation) -> dict[int, int]:
    out = defaultdict(int)
    for client in (
        OutboxAction.objects.for_org(org)
        .filter(status=ActionStatus.QUEUED)
        .values_list("client_id", flat=True)
    ):
        out[client] += 1
    return out
