"""Approvals: a step marked `approval` waits for a person's decision. A client-level step's
decision is looked up by its action's key; a message step's by (invoice, step), so that an
approval covers each invoice of the message whatever it is later grouped with."""

from __future__ import annotations

from collections.abc import Mapping

from arrears.core.actions import Status
from arrears.core.policy import Step

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
