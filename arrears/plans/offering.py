"""Sending a written plan: one outbox action (`plan-offer/C001/P3`) to the client's billing
contacts, cc accounting, with the plan's PDF attached when it is composed."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from arrears.dunning.models import ActionStatus, OutboxAction, OutboxItem
from arrears.ledger.models import ContactRole, Organisation

from .letters import billing_contacts, offer_context
from .models import PaymentPlan, PlanStatus
from .service import PlanError

FIGURES = (
    "plan",
    "total",
    "count",
    "cadence_words",
    "first_date",
    "first_amount",
    "schedule",
    "grace_days",
    "late_fee",
    "on_miss",
    "offer_until",
    "remind_before",
)


def queue_offer(org: Organisation, plan: PaymentPlan, today: date) -> OutboxAction:
    """Queue the offer email; `arrears apply` or `arrears deliver` sends it."""
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.OFFERED):
        raise PlanError(f"{plan.label} is {plan.status}: there is nothing to offer")
    client = plan.client
    to = [c.email for c in billing_contacts(client)]
    if not to:
        raise PlanError(f"{client.external_id} has no billing contact to send the plan to")
    cc = sorted(
        {
            c.email
            for c in client.contacts.filter(role_set__role=ContactRole.ACCOUNTING)
            if c.email not in to
        }
    )
    ctx = offer_context(org, plan, today)
    data = {k: ctx[k] for k in FIGURES} | {"plan_pk": plan.pk, "attach": ["plan-offer"]}
    data["plan_total"] = data.pop("total")
    key = f"plan-offer/{client.external_id}/{plan.label}"
    with transaction.atomic():
        action, created = OutboxAction.objects.get_or_create(
            organisation=org,
            key=key,
            defaults={
                "client": client,
                "step": "plan-offer",
                "kind": "email",
                "level": "invoice",
                "template": "plan-offer",
                "policy": client.policy or "default",
                "scheduled_for": today,
                "to": to,
                "cc": cc,
                "reason": f"{plan.label} offered to {client.external_id}",
                "data": data,
            },
        )
        if not created:
            if action.status not in (ActionStatus.CANCELLED, ActionStatus.FAILED):
                raise PlanError(f"the offer of {plan.label} is already {action.status}")
            OutboxAction.objects.filter(pk=action.pk).update(
                status=ActionStatus.QUEUED,
                attempts=0,
                next_attempt_at=None,
                data=data,
                to=to,
                cc=cc,
            )
        OutboxItem.objects.bulk_create(
            [
                OutboxItem(action=action, invoice=inv, step=f"plan-offer:{plan.label}")
                for inv in plan.invoices.all()
            ],
            ignore_conflicts=True,
        )
    return action
