"""The messages of the ladder (and every other kind without a performer of its own): for each
claimed row, re-check it against the ledger, write its steps in flight, render, send, and mark
it sent with the stored message — the outbox loop (loop.py) claims, retries and alerts.

Rows are read in batches; a message is marked sent before the next one is handed to the mail
server, so a crash leaves at most one message sent but not marked (see outbox.py).
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from arrears.channels.base import Outgoing, TransportError
from arrears.channels.email.transport import EmailTransport
from arrears.dunning.compose import compose
from arrears.dunning.loop import QUIET, Loop, LostClaim, Performer
from arrears.dunning.models import (
    Message,
    OutboxAction,
    OutboxItem,
    StepRecord,
    StepState,
)
from arrears.dunning.outbox import NO_RECORDS, retry_delay
from arrears.dunning.signals import step_performed
from arrears.dunning.sql import hold, ledger_state, mark_sent, message_params
from arrears.dunning.turns import writer_turn
from arrears.ledger.models import OPEN_STATUSES, Contact, Invoice

RESEND = "resend_to"  # data key of a row that sends an earlier message to refused recipients


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


class MessagePerformer(Performer):
    """Email (and letters, lever notices, internal alerts): one connection to the mail server
    for the whole run.

    A sender thread hands each message to the server (smtplib) while this one re-checks,
    renders and builds the next: the mail server takes in one message while the worker
    prepares the next, instead of the worker waiting for its answer (a third of the time with
    a fast local server). A message is recorded as sent before the next one is handed over,
    so a crash still leaves at most one message sent but not marked."""

    def __init__(self, loop: Loop):
        super().__init__(loop)
        self.org, self.on, self.policies = loop.org, loop.on, loop.policies
        self.transport = EmailTransport()
        self.sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arrears-smtp")
        self.pending: tuple[Ready, Future] | None = None
        self.batch: Batch | None = None

    def load(self, rows: list[OutboxAction]) -> None:
        self.batch = self.read(rows)

    def perform(self, row: OutboxAction) -> None:
        if row.kind in QUIET:  # an alert tells what became of the message before it
            self.settle()
        try:
            ready = self.prepare(row, self.batch)
            # built here, while the server still takes the message before; the thread only talks
            handover = None if ready is None else self.transport.start(ready.outgoing)
        finally:
            self.settle()  # the message before this one: recorded before this one goes out
        if ready is None:
            return
        self.loop.go(row)
        self.pending = (ready, self.sender.submit(handover))

    def settle(self) -> None:
        """Wait for the server's answer to the message handed over last, and record it."""
        if self.pending is None:
            return
        ready, answer = self.pending
        self.pending = None
        row = ready.row
        try:
            refused = answer.result()
            self.sent(ready)
        except LostClaim:
            self.loop.lost(row)
            return
        except TransportError as exc:
            self.loop.failed(row, exc)
            return
        except Exception as exc:  # noqa: BLE001 - one bad row must not stop the others
            self.loop.crashed(row, exc)
            return
        permanent = [r for r in refused if not r.temporary]
        later = [r for r in refused if r.temporary]
        if later:
            self.resend_later(ready, [r.address for r in later])
        if permanent:  # delivered to the others; the team must fix these addresses
            problem = f"sent, but the mail server refused {', '.join(map(str, permanent))}"
            self.loop.result.problems.append(f"{row.key}: {problem}")
            self.loop.alert(row, problem)

    def flush(self) -> None:
        self.settle()

    def close(self) -> None:
        try:
            self.settle()
        finally:
            self.sender.shutdown()
            self.transport.close()

    def read(self, rows: list[OutboxAction]) -> Batch:
        ids = [r.pk for r in rows]
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
        if not invoices and (wanted or row.step not in NO_RECORDS):  # alerts may name none
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
        if RESEND in (row.data or {}):
            outgoing = replace(outgoing, envelope=tuple(row.data[RESEND]))
        kept = {i.pk for i in invoices}
        steps = {inv: s for inv, s, skip in batch.items.get(row.pk, ()) if inv in kept and not skip}
        return Ready(row, invoices, outgoing, references, steps)

    def cancel(self, row: OutboxAction, reason: str) -> None:
        self.loop.cancel(row, reason)

    def recheck(
        self, row: OutboxAction, invoices: list[Invoice]
    ) -> tuple[list[Invoice], list[str]]:
        """The invoices that still need the action, as the ledger is at this moment; their
        outstanding amounts are refreshed for the message."""
        if not invoices:
            return [], []
        policies = {inv.pk: self.policy_of(row, inv) for inv in invoices}
        by_grace: dict[int, list[int]] = defaultdict(list)  # one query per grace (mostly one)
        for pk, policy in policies.items():
            by_grace[policy.promise_grace_days if policy else 3].append(pk)
        fresh = {
            row_[0]: row_[1:]
            for grace, pks in by_grace.items()
            for row_ in ledger_state(
                pks, self.on - timedelta(days=grace), promises_pause=row.step not in NO_RECORDS
            )
        }
        keep, dropped = [], []
        for inv in invoices:
            inv.status, inv.paid, inv.credited, inv.written_off, disputed, promised = fresh[inv.pk]
            owed = inv.outstanding
            policy = policies[inv.pk]
            minimum = policy.minimum_amount if policy else 0
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

    def policy_of(self, row: OutboxAction, invoice: Invoice):
        """The policy the planner weighed the invoice by: its contract's, else its client's,
        else the default (the action's own, for a row about no contract and no client)."""
        contract = invoice.contract.policy if invoice.contract_id else ""
        name = contract or (row.client.policy if row.client_id else "") or "default"
        return self.policies.get(name) or self.policies.get(row.policy)

    def records_steps(self, row: OutboxAction) -> bool:
        """Whether the row performs its steps (a resend to refused recipients does not: the
        message it repeats did)."""
        return (
            row.step not in NO_RECORDS
            and row.template != "step-alert"
            and RESEND not in (row.data or {})
        )

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
        self.loop.release_steps(row, invoice_pks)

    def extra(self, row: OutboxAction) -> dict:
        if row.data:
            return dict(row.data)
        if row.step == "promise-broken" and row.promise_id:
            return {"promised_date": row.promise.until.isoformat()}
        if row.step == "send-failed":
            failures = row.last_error.splitlines()
            return {"failures": failures, "count": len(failures)}
        return {}

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
        listeners = step_performed.has_listeners(MessagePerformer)
        if listeners:
            fields = {
                f"{k}_id" if k in ("organisation", "client", "action") else k: v
                for k, v in values.items()
            }
        with writer_turn(), transaction.atomic():
            pk = mark_sent(
                params, invoice_pks, records_steps=records_steps, claimed_by=self.loop.me
            )
            if pk is None:  # another worker took the row over: roll the message back
                raise LostClaim(row.key)
            self.loop.counted_sent(row)
            if listeners:
                step_performed.send(
                    MessagePerformer,
                    organisation=self.org,
                    action=row,
                    invoices=ready.invoices,
                    steps=ready.steps,
                    message=Message(pk=pk, **fields),
                    on=self.on,
                    policy=self.policies.get(row.policy),
                )

    def resend_later(self, ready: Ready, addresses: list[str]) -> None:
        """Recipients refused for a while (a 4xx: greylisting, a full mailbox) get the same
        message later, alone, as a row of their own with the engine's backoff; the others
        already have it."""
        row = ready.row
        with transaction.atomic():
            follow, created = OutboxAction.objects.get_or_create(
                organisation=self.org,
                key=f"{row.key}>{'+'.join(sorted(addresses))}"[:250],
                defaults={
                    "client_id": row.client_id,
                    "step": row.step,
                    "kind": row.kind,
                    "level": row.level,
                    "template": row.template,
                    "policy": row.policy,
                    "scheduled_for": row.scheduled_for,
                    "not_before": row.not_before,
                    "not_after": row.not_after,
                    "to": row.to,
                    "cc": row.cc,
                    "reason": f"refused for a while by the mail server: {', '.join(addresses)}",
                    "data": {**(row.data or {}), RESEND: addresses},
                    "attempts": 1,
                    "next_attempt_at": timezone.now() + retry_delay(1),
                },
            )
            if created:
                OutboxItem.objects.bulk_create(
                    OutboxItem(action=follow, invoice_id=pk, step=step)
                    for pk, step in ready.steps.items()
                )
        self.loop.result.problems.append(
            f"{row.key}: sent; {', '.join(addresses)} refused for now (will retry)"
        )
