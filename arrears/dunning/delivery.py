"""Delivering the outbox: claim due rows, re-check each against the ledger, write its steps in
flight, send, mark it sent with the stored message.

Throughput without giving up the guarantees: rows are claimed and their data read in batches;
while the mail server takes in one message, the next one is re-checked and rendered; a
message is marked sent before the next one is handed to the server, so a crash leaves at most
one message sent but not marked (see outbox.py for the guarantees).
"""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from arrears.channels.base import Outgoing, TransportError
from arrears.channels.email.transport import EmailTransport
from arrears.core.policy import Policy
from arrears.dunning.compose import compose
from arrears.dunning.extensions import runners
from arrears.dunning.models import (
    ActionStatus,
    Message,
    OutboxAction,
    OutboxItem,
    StepRecord,
    StepState,
)
from arrears.dunning.outbox import (
    LEASE,
    MAX_ATTEMPTS,
    NO_RECORDS,
    claimant_is_dead,
    retry_delay,
    worker_name,
)
from arrears.dunning.signals import step_performed
from arrears.dunning.sql import hold, ledger_state, mark_sent, message_params
from arrears.dunning.turns import writer_turn
from arrears.ledger.models import OPEN_STATUSES, Contact, Invoice, Organisation

log = logging.getLogger("arrears.outbox")
BATCH = 50


@dataclass
class Delivery:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Batch:
    """What a batch of claimed rows needs, read in a few queries."""

    rows: list[OutboxAction]
    items: dict[int, list[tuple[int, str, bool]]]  # action pk -> (invoice pk, step, skipped)
    invoices: dict[int, Invoice]
    contacts: dict[int, list[tuple[str, str]]]  # client pk -> (email, name)
    threads: dict[int, list[tuple[datetime, str]]]  # invoice pk -> (sent at, message id)
    held: dict[int, set]  # action pk -> invoices whose step it holds in flight (None: client level)


@dataclass
class Ready:
    row: OutboxAction
    invoices: list[Invoice]
    outgoing: Outgoing
    references: list[str]
    steps: dict[int, str]  # invoice pk -> the step performed for it


class Deliverer:
    """Claims and sends due outbox rows; one connection to the mail server for the whole run."""

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
        self.pending: tuple[Ready, Callable[[], tuple[str, ...]]] | None = None

    # -- claiming --------------------------------------------------------------------------
    def ready(self):
        q = Q(status=ActionStatus.QUEUED) & (
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=self.now)
        )
        if self.honour_window:
            q &= Q(not_before__isnull=True) | Q(not_before__lte=self.now)
        return OutboxAction.objects.for_org(self.org).filter(q).exclude(kind__in=list(runners))

    def count_ready(self) -> int:
        return self.ready().count()

    def take_over_stale(self) -> None:
        """Rows left `sending` by a worker that died (on this machine) or whose lease ended."""
        stale = OutboxAction.objects.for_org(self.org).filter(status=ActionStatus.SENDING)
        for pk, claimed_by, lease in stale.values_list("pk", "claimed_by", "lease_until"):
            if (lease and lease < self.now) or claimant_is_dead(claimed_by):
                OutboxAction.objects.filter(
                    pk=pk, status=ActionStatus.SENDING, claimed_by=claimed_by
                ).update(
                    status=ActionStatus.QUEUED, claimed_by="", next_attempt_at=None, not_before=None
                )

    def claim(self, limit: int = BATCH) -> list[int]:
        with writer_turn(), transaction.atomic():
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

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> Delivery:
        """One message at a time: re-check, render, send, mark sent. The server's answer to a
        message's data is read after the next message is re-checked and rendered, so that the
        mail server takes in one message while this process prepares the next; a message is
        marked sent before the next one is handed over, so a crash leaves at most one message
        sent but not marked (see outbox.py for the guarantees)."""
        self.take_over_stale()
        gc.freeze()  # what is alive now lives through the run: keep the collector off it
        try:
            while ids := self.claim():
                batch = self.load(ids)
                for row in batch.rows:
                    try:
                        ready = self.prepare(row, batch)
                    except Exception as exc:  # noqa: BLE001 - one bad row must not stop the others
                        self.crashed(row, exc)
                        ready = None
                    self.settle()
                    if ready is not None:
                        self.deliver(ready)
                    if self.progress:
                        self.progress(1)
                self.settle()
        finally:
            self.settle()
            self.transport.close()
        return self.result

    def load(self, ids: list[int]) -> Batch:
        rows = [
            r
            for r in OutboxAction.objects.filter(pk__in=ids)
            .select_related("client")  # the promise only for promise-broken alerts
            .order_by("pk")
            if r.status == ActionStatus.SENDING and r.claimed_by == self.me
        ]
        items: dict[int, list] = defaultdict(list)
        for action, invoice, step, skipped in OutboxItem.objects.filter(
            action_id__in=ids
        ).values_list("action_id", "invoice_id", "step", "skipped"):
            items[action].append((invoice, step, skipped))
        pks = {i for its in items.values() for i, _, _ in its}
        invoices = {i.pk: i for i in Invoice.objects.filter(pk__in=pks).select_related("contract")}
        contacts: dict[int, list] = defaultdict(list)
        for client, email, name in Contact.objects.filter(
            client_id__in={r.client_id for r in rows}
        ).values_list("client_id", "email", "name"):
            contacts[client].append((email, name))
        threads: dict[int, list] = defaultdict(list)
        through = Message.invoices.through.objects.filter(
            invoice_id__in=pks, message__kind__in=("email", "letter", "lever")
        )
        for invoice, sent_at, message_id in through.values_list(
            "invoice_id", "message__sent_at", "message__message_id"
        ):
            threads[invoice].append((sent_at, message_id))
        return Batch(rows, items, invoices, contacts, threads, self.hold_steps(rows, items))

    # -- one row ---------------------------------------------------------------------------
    def prepare(self, row: OutboxAction, batch: Batch) -> Ready | None:
        """Re-check and render. None when there is nothing (left) to send."""
        wanted = [
            batch.invoices[inv] for inv, _, skipped in batch.items.get(row.pk, []) if not skipped
        ]
        if self.records_steps(row):
            held = batch.held.get(row.pk, set())
            if row.level == "client":
                wanted = wanted if None in held else []
            else:
                wanted = [i for i in wanted if i.pk in held]
            if not wanted:
                return self.cancel(row, "already performed by another action")
        invoices, dropped = self.recheck(row, wanted)
        if not invoices and row.step != "send-failed":
            return self.cancel(row, "; ".join(dropped) or "nothing left to send")
        if len(invoices) < len(wanted):
            kept = {i.pk for i in invoices}
            self.release(row, [i.pk for i in wanted if i.pk not in kept])
        threads = sorted({ref for inv in invoices for ref in batch.threads.get(inv.pk, ())})[-20:]
        references = [message_id for _, message_id in threads]
        outgoing = compose(
            self.org,
            row,
            invoices,
            self.policies.get(row.policy),
            self.on,
            self.extra(row),
            contacts=batch.contacts.get(row.client_id, []),
            references=references,
        )
        kept = {i.pk for i in invoices}
        steps = {inv: s for inv, s, skip in batch.items.get(row.pk, ()) if inv in kept and not skip}
        return Ready(row, invoices, outgoing, references, steps)

    def cancel(self, row: OutboxAction, reason: str) -> None:
        self.release(row)
        self.finish(row, ActionStatus.CANCELLED, reason=reason)
        self.result.cancelled += 1

    def recheck(
        self, row: OutboxAction, invoices: list[Invoice]
    ) -> tuple[list[Invoice], list[str]]:
        """The invoices that still need the action, as the ledger is at this moment; their
        outstanding amounts are refreshed for the message."""
        if not invoices:
            return [], []
        policy = self.policies.get(row.policy)
        minimum = policy.minimum_amount if policy else 0
        grace = timedelta(days=policy.promise_grace_days if policy else 3)
        fresh = {
            row_[0]: row_[1:]
            for row_ in ledger_state(
                [i.pk for i in invoices], self.on - grace, promises_pause=row.step not in NO_RECORDS
            )
        }
        keep, dropped = [], []
        for inv in invoices:
            inv.status, inv.paid, inv.credited, inv.written_off, disputed, promised = fresh[inv.pk]
            owed = inv.outstanding
            if inv.status not in OPEN_STATUSES:
                dropped.append(f"{inv.number} is {inv.get_status_display().lower()}")
            elif disputed and row.step not in NO_RECORDS:
                dropped.append(f"{inv.number} is disputed")
            elif promised:
                dropped.append(f"{inv.number} is promised")
            elif owed < minimum and row.step not in NO_RECORDS:
                dropped.append(f"{inv.number} owes less than the minimum")
            else:
                keep.append(inv)
        return keep, dropped

    def records_steps(self, row: OutboxAction) -> bool:
        return row.step not in NO_RECORDS and row.template != "step-alert"

    def hold_steps(self, rows: list[OutboxAction], items: dict[int, list]) -> dict[int, set]:
        """Write the batch's (invoice, step) pairs in flight before anything is sent, under the
        database's uniqueness: a step another action holds (or did) stays with it. The steps an
        action passes over are held too, to be recorded as skipped when it goes out."""
        records = []
        org = self.org.pk
        for row in rows:
            if not self.records_steps(row):
                continue
            client, kind, pk = row.client_id, row.kind, row.pk
            if row.level == "client":
                records.append((org, client, None, row.step, kind, False, pk))
            records += [(org, client, i, step, kind, skip, pk) for i, step, skip in items[pk]]
        with writer_turn():
            hold(records, self.on, timezone.now())
        held: dict[int, set] = defaultdict(set)
        mine = StepRecord.objects.filter(
            action_id__in=[r.pk for r in rows], state=StepState.IN_FLIGHT, skipping=False
        )
        for action, invoice in mine.values_list("action_id", "invoice_id"):
            held[action].add(invoice)
        return held

    def release(self, row: OutboxAction, invoice_pks=None) -> None:
        """Let go of the steps held for `row` (all of them, or those of some invoices)."""
        mine = StepRecord.objects.filter(action=row, state=StepState.IN_FLIGHT)
        if invoice_pks is not None:
            mine = mine.filter(invoice_id__in=invoice_pks)
        mine.delete()

    def extra(self, row: OutboxAction) -> dict:
        if row.data:
            return dict(row.data)
        if row.step == "promise-broken" and row.promise_id:
            return {"promised_date": row.promise.until.isoformat()}
        if row.step == "send-failed":
            failures = row.last_error.splitlines()
            return {"failures": failures, "count": len(failures)}
        return {}

    def deliver(self, ready: Ready) -> None:
        """Hand the message to the server; `settle` reads the answer and records it."""
        try:
            self.pending = (ready, self.transport.start(ready.outgoing))
        except TransportError as exc:
            self.failed(ready.row, exc)
        except Exception as exc:  # noqa: BLE001 - a bug in a transport must not stop the run
            self.crashed(ready.row, exc)

    def settle(self) -> None:
        """The server's answer to the message handed over last: marked sent, or failed."""
        if self.pending is None:
            return
        ready, answer = self.pending
        self.pending = None
        try:
            refused = answer()
        except TransportError as exc:
            self.failed(ready.row, exc)
            return
        except Exception as exc:  # noqa: BLE001 - a bug in a transport must not stop the run
            self.crashed(ready.row, exc)
            return
        self.sent(ready)
        self.result.sent += 1
        if refused:  # delivered to the others; the team must fix these addresses
            problem = f"sent, but the mail server refused {', '.join(map(str, refused))}"
            self.result.problems.append(f"{ready.row.key}: {problem}")
            self.alert_failure(ready.row, TransportError(problem, permanent=True))

    def sent(self, ready: Ready) -> None:
        row, outgoing, now = ready.row, ready.outgoing, timezone.now()
        values = {
            "organisation": self.org.pk,
            "client": row.client_id,
            "action": row.pk,
            "kind": row.kind,
            "step": row.step,
            "subject": outgoing.subject,
            "body_text": outgoing.text,
            "body_html": outgoing.html,
            "from_email": outgoing.from_email,
            "to": list(outgoing.to),
            "cc": list(outgoing.cc),
            "reply_to": outgoing.reply_to,
            "message_id": outgoing.headers["Message-ID"],
            "in_reply_to": outgoing.headers.get("In-Reply-To", ""),
            "references": " ".join(ready.references),
            "sent_at": now,
        }
        params = message_params(values)
        invoice_pks = [i.pk for i in ready.invoices]
        records_steps = self.records_steps(row)
        listeners = step_performed.has_listeners(Deliverer)
        if listeners:
            fields = {
                f"{k}_id" if k in ("organisation", "client", "action") else k: v
                for k, v in values.items()
            }
        with writer_turn(), transaction.atomic():
            pk = mark_sent(params, invoice_pks, records_steps=records_steps, claimed_by=self.me)
            if listeners:
                step_performed.send(
                    Deliverer,
                    organisation=self.org,
                    action=row,
                    invoices=ready.invoices,
                    steps=ready.steps,
                    message=Message(pk=pk, **fields),
                    on=self.on,
                )

    def failed(self, row: OutboxAction, exc: TransportError) -> None:
        with transaction.atomic():
            StepRecord.objects.filter(
                action=row, state=StepState.IN_FLIGHT
            ).delete()  # let go of the steps
            if exc.permanent or row.attempts >= MAX_ATTEMPTS:
                self.finish(row, ActionStatus.FAILED, last_error=exc.message)
                self.result.failed += 1
                self.result.problems.append(f"{row.key}: {exc.message}")
                if row.kind not in ("internal", "recommendation"):
                    self.alert_failure(row, exc)
            else:
                self.finish(
                    row,
                    ActionStatus.QUEUED,
                    last_error=exc.message,
                    next_attempt_at=timezone.now() + retry_delay(row.attempts),
                )
                self.result.retrying += 1
                self.result.problems.append(f"{row.key}: {exc.message} (will retry)")

    def crashed(self, row: OutboxAction, exc: Exception) -> None:
        """A bug or bad data: push the row back (give up after a few tries), record why, carry
        on with the others."""
        log.exception("action %s raised", row.key, exc_info=exc)
        self.failed(
            row, TransportError(f"{type(exc).__name__}: {exc}", permanent=row.attempts >= 3)
        )

    def alert_failure(self, row: OutboxAction, exc: TransportError) -> None:
        """One alert a day for the team, listing every message that could not be sent: a mail
        server that refuses everything must not turn into a thousand alerts."""
        from arrears.dunning.snapshot import people_of

        people = people_of(self.org)
        line = f"{row.key} ({row.client.name}): {exc.message}"
        alert, created = OutboxAction.objects.get_or_create(
            organisation=self.org,
            key=f"send-failed/{self.on}",
            defaults={
                "client": row.client,
                "step": "send-failed",
                "kind": "internal",
                "level": "client",
                "template": "send-failed",
                "policy": row.policy,
                "scheduled_for": self.on,
                "to": list(people.accounting),
                "reason": row.key,
                "last_error": line,
            },
        )
        if not created and alert.status == ActionStatus.QUEUED:
            OutboxAction.objects.filter(pk=alert.pk, status=ActionStatus.QUEUED).update(
                last_error=alert.last_error + "\n" + line
            )

    def finish(self, row: OutboxAction, status: str, **fields) -> None:
        fields.update(status=status, claimed_by="")
        OutboxAction.objects.filter(pk=row.pk, claimed_by=self.me).update(**fields)
