"""Performing the escalation work's outbox rows (extensions.add_runner), after the day's email.

Kinds: `escalation` (an internal email: alerts, recommendations, the digest) and
`escalation-chat` (the digest as a signed Slack-compatible webhook), performed in the one
outbox loop (dunning/loop.py: claim, lease, retries, the failure alert), then marked sent
together with the stored Message. The guarantee is the email channel's: exactly once except
across a crash between the far side accepting and the row being marked, when the next run sends
it again (`X-Arrears-Key` lets the receiver drop the duplicate).

Once per `arrears apply`, `day` records which approvals are waiting (for the alert the next
day's plan raises), from the plan just made, and queues the day's digest; delivering (every
`arrears apply`, `arrears deliver` and helper process) only delivers.
"""

from __future__ import annotations

from datetime import date
from email.utils import make_msgid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from arrears.channels.base import Outgoing
from arrears.channels.chat.transport import ChatTransport
from arrears.channels.email import sender
from arrears.channels.email.render import render
from arrears.channels.email.transport import EmailTransport
from arrears.core import planner
from arrears.dunning.loop import Performer
from arrears.dunning.models import Message, OutboxAction
from arrears.ledger.models import Organisation

from . import digest
from .models import ApprovalWait

EMAIL, CHAT = "escalation", "escalation-chat"
KINDS = (EMAIL, CHAT)


def day(org: Organisation, on: date, plan: planner.Plan) -> None:
    """Once per `arrears apply` (extensions.add_day_job): which approvals are waiting, and the
    day's digest (which lists them)."""
    record_waiting_approvals(org, on, plan)
    digest.queue(org, on)


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
class EscalationPerformer(Performer):
    """Performs `escalation` (an internal email) and `escalation-chat` (the digest posted to a
    chat webhook) rows in the one outbox loop, which claims, retries and alerts."""

    def __init__(self, loop):
        super().__init__(loop)
        self.transport, self.chat = EmailTransport(), ChatTransport()

    def perform(self, row: OutboxAction) -> None:
        org, outgoing = self.loop.org, None
        if row.kind == CHAT:
            data = row.data or {}
            self.loop.go(row)
            self.chat.post(data.get("url", ""), data.get("text", ""), key=row.key)
        else:
            outgoing = compose(org, row, self.loop.on)
            self.loop.go(row)
            self.transport.send(outgoing)
        with transaction.atomic():
            sent_at = timezone.now()
            if outgoing is not None and row.client_id is not None:
                Message.record(row, outgoing, sent_at=sent_at)
            self.loop.done(row, sent_at=sent_at)

    def close(self) -> None:
        self.transport.close()


def performer(loop) -> EscalationPerformer:
    return EscalationPerformer(loop)


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
        sender(org.name, settings.DEFAULT_FROM_EMAIL),
        tuple(row.to),
        tuple(row.cc),
        org.accounts_email,
        {"Message-ID": make_msgid(domain=domain), "X-Arrears-Key": row.key},
    )
