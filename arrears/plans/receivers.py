"""How plans hear about the world: payments (ledger `settled`), messages performed (dunning
`step_performed`), and what they add to the daily run (a planner, the invoices they take off
the ladder), to messages (the PDF) and to a client's timeline."""

from __future__ import annotations

from arrears.core import instalments as rules
from arrears.ledger.signals import settled

from .models import PaymentPlan, PlanStatus


def register() -> None:
    from arrears.channels.email.attachments import add_attachment
    from arrears.dunning.extensions import add_covered, add_planner, add_timeline
    from arrears.dunning.signals import step_performed

    from . import history, letters, planning, service

    settled.connect(on_settled, dispatch_uid="plans.settled")
    step_performed.connect(on_step_performed, dispatch_uid="plans.step_performed")
    add_planner("plans", planning.plan_actions)
    add_covered("plans", service.covered_pks)
    add_timeline("plans", history.events)
    add_attachment("plan-offer", letters.attachment)


def on_settled(sender, organisation, invoices, **kwargs) -> None:
    """Payments on covered invoices count toward the instalments, in the payment's
    transaction; the plan completes when everything is paid."""
    from .service import sync_payments

    # the covered invoices of active plans are few; a payment import touches thousands of
    # invoices at a time: intersect here rather than send them all to the database
    covered = PaymentPlan.invoices.through.objects.filter(
        paymentplan__organisation=organisation, paymentplan__status=PlanStatus.ACTIVE
    ).values_list("paymentplan_id", "invoice_id")
    touched = {i.pk for i in invoices}
    pks = {plan for plan, invoice in covered if invoice in touched}
    for plan in PaymentPlan.objects.filter(pk__in=pks).order_by("pk"):
        sync_payments(plan)


def on_step_performed(sender, organisation, action, on, **kwargs) -> None:
    """An offer that went out makes the draft `offered`; the alert of a miss whose consequence
    is `void` voids the plan (once: it is one outbox row), and the ladder resumes for its
    invoices from the next run."""
    from django.utils import timezone

    from .service import close

    data = action.data or {}
    pk = data.get("plan_pk")
    if pk is None:
        return
    if action.step == rules.OVERDUE:  # the client was told of the miss: its late fee is due
        from .service import charge_missed

        plan = PaymentPlan.objects.for_org(organisation).filter(pk=pk).first()
        if plan is not None:
            charge_missed(plan, int(data.get("instalment", 0)), on)
    if action.step == "plan-offer":
        PaymentPlan.objects.filter(
            pk=pk, organisation=organisation, status=PlanStatus.DRAFT
        ).update(status=PlanStatus.OFFERED, offered_at=timezone.now())
    elif action.step == rules.MISSED_ALERT and data.get("on_miss") == rules.OnMiss.VOID:
        plan = PaymentPlan.objects.for_org(organisation).filter(pk=pk).first()
        if plan is not None:
            close(plan, PlanStatus.VOIDED, f"instalment {data.get('instalment')} was missed", on)
