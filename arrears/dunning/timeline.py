"""A client's story in order: invoices, money in, messages, pauses, decisions, and what the
apps add (`extensions.add_timeline`: payment plans, service levels, charges)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from arrears.core.money import format_money
from arrears.dunning.extensions import timeline_events
from arrears.dunning.models import (
    Approval,
    Dispute,
    Message,
    OutboxAction,
    Promise,
    StepRecord,
    StepState,
)
from arrears.ledger.models import Allocation, Client, Invoice, Payment


@dataclass(frozen=True)
class Event:
    when: datetime
    kind: str
    text: str


def at(d: date) -> datetime:
    """A day as the moment it starts (UTC), to sort it among the timed events."""
    return datetime.combine(d, time.min, tzinfo=UTC) if not isinstance(d, datetime) else d


def events(client: Client) -> list[Event]:
    out: list[Event] = []
    for inv in Invoice.objects.filter(client=client):
        out.append(
            Event(
                at(inv.issue_date),
                "invoice",
                f"{inv.number} issued, due {inv.due_date}: {format_money(inv.total, inv.currency)} "
                f"({inv.get_status_display().lower()})",
            )
        )
    for p in Payment.objects.filter(client=client):
        out.append(
            Event(
                at(p.date),
                "payment",
                f"payment {p.external_id} received: {format_money(p.amount, p.currency)}"
                + (
                    f" ({format_money(p.unallocated, p.currency)} left as credit)"
                    if p.unallocated
                    else ""
                ),
            )
        )
        if p.reversed_on:  # the money did not stay: its invoices owe again from that day
            out.append(
                Event(
                    at(p.reversed_on),
                    "reversal",
                    f"payment {p.external_id} reversed: {format_money(p.amount, p.currency)}"
                    f" ({p.reversal_reason})",
                )
            )
    for a in (
        Allocation.objects.filter(invoice__client=client)
        .exclude(kind="payment")
        .select_related("invoice")
    ):
        out.append(
            Event(
                at(a.date),
                a.kind.replace("_", "-"),
                f"{a.get_kind_display()} on {a.invoice.number}: "
                f"{format_money(a.amount, a.invoice.currency)} {a.reason}".rstrip(),
            )
        )
    for m in Message.objects.filter(client=client).prefetch_related("invoices"):
        who = ", ".join(m.to) + (f" (cc {', '.join(m.cc)})" if m.cc else "")
        out.append(Event(m.sent_at, f"sent:{m.kind}", f"{m.step}: “{m.subject}” to {who}"))
    for r in StepRecord.objects.filter(client=client, state=StepState.SKIPPED).select_related(
        "invoice"
    ):
        out.append(
            Event(
                at(r.on),
                "skipped",
                f"{r.step} skipped for {r.invoice.number} (a later step went out)",
            )
        )
    for d in Dispute.objects.filter(invoice__client=client).select_related("invoice"):
        out.append(
            Event(
                at(d.opened_on),
                "dispute",
                f"{d.invoice.number} disputed ({d.reason}) {d.note}".rstrip(),
            )
        )
        if d.resolved_on:
            out.append(
                Event(
                    at(d.resolved_on),
                    "resolved",
                    f"dispute on {d.invoice.number} resolved {d.resolution}".rstrip(),
                )
            )
    for p in Promise.objects.filter(invoice__client=client).select_related("invoice"):
        out.append(
            Event(
                at(p.made_on),
                "promise",
                f"promise to pay {p.invoice.number} by {p.until} {p.note}".rstrip(),
            )
        )
        if p.closed_on:
            out.append(
                Event(
                    at(p.closed_on),
                    f"promise-{p.status}",
                    f"promise on {p.invoice.number} {p.status}",
                )
            )
    for a in Approval.objects.filter(client=client).select_related("decided_by"):
        out.append(
            Event(
                a.decided_at,
                a.decision,
                f"{a.key} {a.decision} by {a.decided_by.email} {a.reason}".rstrip(),
            )
        )
    for o in OutboxAction.objects.filter(
        client=client, status__in=("failed", "cancelled", "queued")
    ):
        out.append(
            Event(
                at(o.scheduled_for),
                o.status,
                f"{o.key} {o.status} {o.last_error or o.reason}".rstrip(),
            )
        )
    out += timeline_events(client)  # payment plans, service levels, charges: their apps add them
    return sorted(out, key=lambda e: (e.when, e.kind))
