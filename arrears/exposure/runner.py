"""Performing the escalation work's outbox rows (extensions.add_runner), after the day's email.

Kinds: `escalation` (an internal email: alerts, recommendations, the digest) and
`escalation-chat` (the digest as a signed Slack-compatible webhook). Each row is claimed with a
conditional UPDATE (queued -> sending, one worker wins), performed, then marked sent together
with its stored Message; a temporary failure goes back to the queue with backoff, a permanent
one is marked failed. The guarantee is the email channel's: exactly once except across a crash
between the far side accepting and the row being marked, when the next run sends it again
(`X-Arrears-Key` lets the receiver drop the duplicate).

Once per `arrears apply`, `day` records which approvals are waiting (for the alert the next
day's plan raises), from the plan just made, and queues the day's digest; delivering (every
`arrears apply`, `arrears deliver` and helper process) only delivers.
"""

from __future__ import annotations

from datetime import date, datetime
from email.utils import make_msgid

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from arrears.channels.base import Outgoing, TransportError
from arrears.channels.email.render import render
from arrears.channels.email.transport import EmailTransport
from arrears.core import planner
from arrears.dunning.delivery import Delivery
from arrears.dunning.models import ActionStatus, Message, OutboxAction
from arrears.dunning.outbox import LEASE, MAX_ATTEMPTS, retry_delay, worker_name
from arrears.ledger.models import Organisation

from . import chat, digest
from .models import ApprovalWait

EMAIL, CHAT = "escalation", "escalation-chat"
KINDS = (EMAIL, CHAT)


def day(org: Organisation, on: date, plan: planner.Plan) -> None:
    """Once per `arrears apply` (extensions.add_day_job): which approvals are waiting, and the
    day's digest (which lists them)."""
    record_waiting_approvals(org, on, plan)
    digest.queue(org, on)


def nothing(org: Organisation, on: date, now: datetime) -> Delivery:
    """The chat kind is registered so that the email deliverer leaves it alone; `deliver`
    (registered for the email kind) performs both."""
    return Delivery()


# -- approvals ----------------------------------------------------------------------------------
def record_waiting_approvals(org: Organisation, on: date, plan: planner.Plan) -> None:
    """The day each action needing an approval was first found waiting, from the day's plan;
    rows for actions that no longer wait (decided, paid, superseded) are dropped."""
    if planner.NEEDS_APPROVAL in plan.untold:
        raise ValueError("the day's plan was made without its actions needing an approval")
    waiting = {a.key: a for a in plan.actions if a.status == planner.NEEDS_APPROVAL}
    with transaction.atomic():
        known = dict(ApprovalWait.objects.for_org(org).values_list("key", "pk"))
        gone = [pk for key, pk in known.items() if key not in waiting]
        for i in range(0, len(gone), 500):
            ApprovalWait.objects.filter(pk__in=gone[i : i + 500]).delete()
        ApprovalWait.objects.bulk_create(
            [
                ApprovalWait(organisation=org, key=k, client_id=a.client_pk, step=a.step, since=on)
                for k, a in waiting.items()
                if k not in known
            ],
            batch_size=500,
            ignore_conflicts=True,
        )


# -- delivering ---------------------------------------------------------------------------------
def deliver(org: Organisation, on: date, now: datetime) -> Delivery:
    result = Delivery()
    me = worker_name()
    mine = OutboxAction.objects.for_org(org).filter(kind__in=KINDS)
    mine.filter(status=ActionStatus.SENDING, lease_until__lt=now).update(
        status=ActionStatus.QUEUED, claimed_by=""
    )
    ready = mine.filter(status=ActionStatus.QUEUED).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    transport = EmailTransport()
    try:
        for pk in list(ready.order_by("pk").values_list("pk", flat=True)):
            claimed = OutboxAction.objects.filter(pk=pk, status=ActionStatus.QUEUED).update(
                status=ActionStatus.SENDING,
                claimed_by=me,
                lease_until=now + LEASE,
                attempts=F("attempts") + 1,
            )
            if claimed != 1:
                continue  # another worker has it
            row = OutboxAction.objects.select_related("client").get(pk=pk)
            perform(org, row, on, me, transport, result)
    finally:
        transport.close()
    return result


def perform(org, row, on, me, transport, result: Delivery) -> None:
    outgoing = None
    try:
        if row.kind == CHAT:
            chat.post(row)
        else:
            outgoing = compose(org, row, on)
            transport.send(outgoing)
    except TransportError as exc:
        _failed(row, me, exc, result)
        return
    except Exception as exc:  # noqa: BLE001 - a bad row must not stop the others
        _failed(
            row,
            me,
            TransportError(f"{type(exc).__name__}: {exc}", permanent=row.attempts >= 3),
            result,
        )
        return
    with transaction.atomic():
        sent_at = timezone.now()
        if outgoing is not None and row.client_id is not None:
            Message.record(row, outgoing, sent_at=sent_at)
        OutboxAction.objects.filter(pk=row.pk, claimed_by=me).update(
            status=ActionStatus.SENT, claimed_by="", sent_at=sent_at
        )
    result.sent += 1


def _failed(row, me, exc: TransportError, result: Delivery) -> None:
    done = exc.permanent or row.attempts >= MAX_ATTEMPTS
    OutboxAction.objects.filter(pk=row.pk, claimed_by=me).update(
        status=ActionStatus.FAILED if done else ActionStatus.QUEUED,
        claimed_by="",
        last_error=exc.message,
        next_attempt_at=None if done else timezone.now() + retry_delay(row.attempts),
    )
    if done:
        result.failed += 1
        result.problems.append(f"{row.key}: {exc.message}")
    else:
        result.retrying += 1
        result.problems.append(f"{row.key}: {exc.message} (will retry)")


def compose(org: Organisation, row: OutboxAction, on: date) -> Outgoing:
    """The internal email for a row: its template under templates/internal/, with the figures
    the planner stored on the row."""
    client = row.client
    ctx = {
        "org_name": org.name,
        "client_name": client.name if client else "",
        "client_id": client.external_id if client else "",
        "sales_owner": client.sales_owner_email if client else "",
        "delivery_lead": client.delivery_lead_email if client else "",
        "today": on.isoformat(),
        "reason": row.reason,
        "items": [],
        **(row.data or {}),
    }
    subject, text, html = render(row.template, ctx, internal=True)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "arrears.localhost"
    return Outgoing(
        subject,
        text,
        html,
        f"{org.name} <{settings.DEFAULT_FROM_EMAIL}>",
        tuple(row.to),
        tuple(row.cc),
        org.accounts_email,
        {"Message-ID": make_msgid(domain=domain), "X-Arrears-Key": row.key},
    )
