"""Approvals: a person with the owner or leadership role approves or rejects a proposed step."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from arrears.core.planner import NEEDS_APPROVAL
from arrears.dunning.models import Approval, ApprovalItem, Decision
from arrears.ledger.models import Membership, Organisation, Role

APPROVERS = (Role.OWNER, Role.LEADERSHIP)


class DecisionError(ValueError):
    pass


def approver(org: Organisation, email: str):
    user = get_user_model().objects.filter(email__iexact=email).first()
    if user is None:
        raise DecisionError(f"no user {email!r}")
    role = (
        Membership.objects.filter(organisation=org, user=user)
        .values_list("role", flat=True)
        .first()
    )
    if role not in APPROVERS:
        raise DecisionError(
            f"{email} is {role or 'not a member'} here; approvals need the owner or leadership role"
        )
    return user


def decide(
    org: Organisation, key: str, decision: str, *, by_email: str, on: date, reason: str = ""
) -> Approval:
    """Approve or reject the action `key` that today's plan says needs approval."""
    from arrears.dunning.engine import make_plan

    user = approver(org, by_email)
    if decision == Decision.REJECTED and not reason.strip():
        raise DecisionError("a rejection needs a reason")
    parts = key.split("/")
    client_id = parts[1] if len(parts) > 1 else None
    plan, _ = make_plan(org, on, client_id=client_id)
    action = next((a for a in plan.actions if a.key == key), None)
    if action is None:
        raise DecisionError(
            f"no action {key!r} in the plan for {on} (see `arrears plan --date {on}`)"
        )
    if action.status != NEEDS_APPROVAL:
        raise DecisionError(f"{key} is {action.status}, not waiting for an approval")
    with transaction.atomic():
        approval, created = Approval.objects.get_or_create(
            organisation=org,
            key=key,
            defaults={
                "step": action.step,
                "client_id": action.client_pk,
                "decision": decision,
                "decided_by": user,
                "reason": reason,
            },
        )
        if not created:
            raise DecisionError(
                f"{key} was already {approval.decision} by {approval.decided_by.email}"
            )
        if action.level == "invoice":
            ApprovalItem.objects.bulk_create(
                [
                    ApprovalItem(approval=approval, invoice_id=i.invoice_pk, step=i.step)
                    for i in action.items
                ]
            )
    return approval
