"""Internal and recommendation steps (alerts to the team, a stand-down recommendation): due
when their date has come and the invoice (or, for a client-level step, the client) has not had
them, gated by the contract, approved when the step asks for it. Internal actions go out any
day, not only on the client's business days."""

from __future__ import annotations

from collections.abc import Collection

from arrears.core.actions import Status, make_key
from arrears.core.approvals import approval_status
from arrears.core.day import ClientDay, StepGroup
from arrears.core.ladder import Ladder
from arrears.core.ledger_state import InvoiceState
from arrears.core.policy import Policy, StepLevel

DUE, NEEDS_APPROVAL, WAITING, BLOCKED = Status
_NOTHING: dict = {}


def group_internal_steps(
    cd: ClientDay,
    invoice: InvoiceState,
    policy: Policy,
    ladder: Ladder,
    done: Collection[str],
    others: dict[str, StepGroup],
) -> None:
    """Add `invoice` to the client's group at each internal step whose date has come."""
    client_done = cd.day.history.client_done.get(cd.client.pk, _NOTHING)
    for step in ladder.others:
        if step.id in (client_done if step.level == StepLevel.CLIENT else done):
            continue
        group = others.get(step.id)
        if group is None:
            group = others[step.id] = StepGroup(step, policy)
        if step.gate and step.gate not in invoice.clauses:
            group.blocked.append((invoice, cd.day.why and f"{invoice.number}: no {step.gate}"))
        else:
            group.ready.append(invoice)


def internal_actions(cd: ClientDay, others: dict[str, StepGroup]) -> None:
    """One action per internal step for the client's invoices at it."""
    wanted = cd.day.wanted
    for sid, group in others.items():
        step = group.step
        if group.ready:
            items = [cd.item(invoice, sid) for invoice in group.ready]
            per_invoice = step.level != StepLevel.CLIENT
            pairs = [(i.invoice_number, sid) for i in items] if per_invoice else ()
            key = make_key(sid, cd.client.external_id, pairs)
            status, reason = DUE, f"{len(items)} invoice(s) past {step.offset_days} days"
            if step.approval:
                status, reason = approval_status(cd.day.history.approvals.get(key), step)
            if not wanted(status):
                continue
            cd.out.actions.append(cd.action(step, group.policy, items, status, reason, key=key))
        elif group.blocked and wanted(BLOCKED):
            items = [cd.item(invoice, sid) for invoice, _ in group.blocked]
            reason = "; ".join(r for _, r in group.blocked)
            cd.out.actions.append(cd.action(step, group.policy, items, BLOCKED, reason))
