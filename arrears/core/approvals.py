"""Approvals: a step marked `approval` waits for a person's decision. A client-level step's
decision is looked up by its action's key; a message step's by (invoice, step), so that an
approval covers each invoice of the message whatever it is later grouped with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from arrears.core.actions import Status
from arrears.core.policy import Step

if TYPE_CHECKING:
    from arrears.core.day import Message

APPROVED, REJECTED = "approved", "rejected"
ASK = "needs an approval by an owner or leadership"


def approval_status(decision: str | None, step: Step) -> tuple[Status, str]:
    """The status and reason of a client-level step needing approval, given the decision."""
    if decision == APPROVED:
        return Status.DUE, APPROVED
    if decision == REJECTED:
        return Status.BLOCKED, "rejected by a person"
    return Status.NEEDS_APPROVAL, f"{step.id} {ASK}"


def item_decision(
    item_approvals: Mapping[tuple[int, str], str], invoice_pk: int, step: Step
) -> str | None:
    """The decision on one invoice's message step, if any."""
    return item_approvals.get((invoice_pk, step.id)) if item_approvals else None


@dataclass(slots=True)
class Decided:
    """The client's messages of the day by what their gates and approvals say."""

    ready: list[Message] = field(default_factory=list)  # no approval needed
    approved: list[Message] = field(default_factory=list)
    pending: list[Message] = field(default_factory=list)  # waiting for a decision
    blocked: list[tuple[Message, str]] = field(default_factory=list)  # no clause, or rejected


def sort_by_decision(
    messages: Iterable[Message], item_approvals: Mapping[tuple[int, str], str]
) -> Decided:
    """A gated step without its clause is blocked; a step marked `approval` goes out once
    approved, is blocked once rejected, and otherwise waits for a decision."""
    decided = Decided()
    for m in messages:
        step, invoice = m.step, m.invoice
        if step.gate and step.gate not in invoice.clauses:
            decided.blocked.append((m, f"{invoice.number}: contract has no {step.gate}"))
        elif not step.approval:
            decided.ready.append(m)
        else:
            decision = item_decision(item_approvals, invoice.pk, step)
            if decision == APPROVED:
                decided.approved.append(m)
            elif decision == REJECTED:
                decided.blocked.append((m, f"{invoice.number}: {step.id} was rejected"))
            else:
                decided.pending.append(m)
    return decided
