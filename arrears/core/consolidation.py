"""Consolidation: one message per client and decision a day. The client's invoices due a
message step are sorted by their gates and approvals (`core.approvals`); those that go out
together make one message in the tone of the most advanced step, listing the earlier steps
never sent as skips, with the internal alerts that ride along (`notify` in the policy)."""

from __future__ import annotations

from collections import defaultdict

from arrears.core.actions import Action, Item, Skip, Status, make_key
from arrears.core.approvals import APPROVED, ASK, sort_by_decision
from arrears.core.calendar_wait import waits_for_business_day
from arrears.core.day import ClientDay, Message
from arrears.core.policy import StepKind, StepLevel

DUE, NEEDS_APPROVAL, WAITING, BLOCKED = Status


def message_actions(cd: ClientDay, messages: list[Message]) -> None:
    """The client's messages of the day: on its business days only, gates and approvals per
    invoice, then one message per decision."""
    if not cd.country.business_day:
        for m in messages:
            waits_for_business_day(cd, m.step.id, (m.invoice,), say_when=True)
        return
    decided = sort_by_decision(messages, cd.day.history.item_approvals)
    wanted = cd.day.wanted
    if decided.ready:
        consolidate(cd, decided.ready, DUE, "")
    if decided.approved:
        consolidate(cd, decided.approved, DUE, APPROVED)
    if decided.pending and wanted(NEEDS_APPROVAL):
        consolidate(cd, decided.pending, NEEDS_APPROVAL, ASK)
    for m, reason in decided.blocked:
        if wanted(BLOCKED):
            items = [cd.item(m.invoice, m.step.id)]
            cd.out.actions.append(cd.action(m.step, m.policy, items, BLOCKED, reason))


def consolidate(cd: ClientDay, group: list[Message], status: Status, reason: str) -> None:
    """One message for the client's invoices in `group`, in the tone of the most advanced
    step; earlier steps never sent are listed as skips."""
    top = max(group, key=_rank)
    step = top.step
    items, skips, notify = [], [], False
    for m in group:
        invoice, earlier = m.invoice, m.ladder.earlier
        notify = notify or bool(m.step.notify)
        items.append(
            Item(
                invoice.pk,
                invoice.number,
                m.step.id,
                invoice.outstanding,
                invoice.currency,
                invoice.due_date,
                m.ladder.overdue,
            )
        )
        if earlier:
            left = tuple(e for e in earlier if e not in m.done) if m.done else earlier
            skips.append(Skip(invoice.pk, left))
    key = make_key(step.id, cd.client.external_id, [(i.invoice_number, i.step) for i in items])
    if status == NEEDS_APPROVAL:
        reason = f"{step.id} {reason}"
    action = cd.action(step, top.policy, items, status, reason, key=key, skips=skips)
    cd.out.actions.append(action)
    if status == DUE and notify:
        ride_along_alerts(cd, group, action)  # also when the message is blocked


def ride_along_alerts(cd: ClientDay, group: list[Message], message: Action) -> None:
    """Internal alerts that ride along with a step (`notify` in the policy). Each carries the
    message's key, and its status and reason when it cannot be sent (no contact), so that the
    alert says what became of it (dunning/outcome.py)."""
    by_step: dict[str, list[Message]] = defaultdict(list)
    for m in group:
        if m.step.notify:
            by_step[m.step.id].append(m)
    client = cd.client
    goes = message.status == DUE
    said: tuple[tuple[str, object], ...] = (
        ("message", message.key),
        ("message_status", message.status),
    )
    if not goes:
        said += (("message_reason", message.reason),)
    for sid, entries in by_step.items():
        first = entries[0]
        alert = f"{sid}-alert"
        items = tuple(cd.item(m.invoice, alert) for m in entries)
        cd.out.actions.append(
            Action(
                key=make_key(alert, client.external_id, [(i.invoice_number, alert) for i in items]),
                client_pk=client.pk,
                client_id=client.external_id,
                step=alert,
                kind=StepKind.INTERNAL,
                level=StepLevel.INVOICE,
                status=DUE,
                scheduled_for=cd.on,
                to=cd.recipients.internal(first.step.notify),
                cc=(),
                items=items,
                reason=f"{sid} for {client.name}" if goes else f"{sid} not sent: {message.reason}",
                template="step-alert",
                policy=first.policy.name,
                data=said,
            )
        )


def _rank(message: Message) -> int:
    return message.ladder.rank
