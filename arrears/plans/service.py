"""Drafting, offering, accepting, completing and voiding payment plans; counting payments.

Every function here is one transaction's worth of work; the rules themselves are in
`arrears.core.instalments`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from arrears.core import instalments as rules
from arrears.ledger.models import (
    OPEN_STATUSES,
    Allocation,
    AllocationKind,
    Client,
    Invoice,
    Organisation,
)

from .models import AcceptedHow, Instalment, PaymentPlan, PlanStatus

PlanError = rules.PlanError
LIVE = (PlanStatus.ACTIVE,)


def covered_pks(org: Organisation) -> set[int]:
    """The invoices covered by the organisation's active plans: off the ladder."""
    return set(
        PaymentPlan.invoices.through.objects.filter(
            paymentplan__organisation=org, paymentplan__status=PlanStatus.ACTIVE
        ).values_list("invoice_id", flat=True)
    )


def find(org: Organisation, label: str) -> PaymentPlan:
    """`P3` (or `3`) -> the plan; PlanError if there is none."""
    digits = label.strip().upper().removeprefix("P")
    plan = (
        PaymentPlan.objects.for_org(org).filter(number=int(digits)).select_related("client").first()
        if digits.isdigit()
        else None
    )
    if plan is None:
        raise PlanError(f"no payment plan {label!r}")
    return plan


def draft(
    org: Organisation,
    client: Client,
    *,
    count: int,
    first: date,
    today: date,
    numbers: list[str] | None = None,
    cadence: str = "month",
    late_fee: Decimal = Decimal(0),
    on_miss: str = "void",
    by: str = "",
) -> PaymentPlan:
    """A draft plan over the client's open invoices (or the ones named), all in one currency."""
    if first < today:
        raise PlanError(f"the first instalment date {first} is in the past")
    open_invoices = Invoice.objects.for_org(org).filter(client=client, status__in=OPEN_STATUSES)
    if numbers:
        found = {i.number: i for i in open_invoices.filter(number__in=numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise PlanError(f"{', '.join(missing)}: not an open invoice of {client.external_id}")
        invoices = [found[n] for n in numbers]
    else:
        invoices = list(open_invoices.order_by("due_date", "number"))
    if not invoices:
        raise PlanError(f"{client.external_id} has no open invoice to put on a plan")
    currencies = {i.currency for i in invoices}
    if len(currencies) > 1:
        raise PlanError(
            f"the invoices are in {', '.join(sorted(currencies))}: one plan per currency "
            "(name the invoices with --invoices)"
        )
    taken = (
        PaymentPlan.invoices.through.objects.filter(
            invoice_id__in=[i.pk for i in invoices], paymentplan__status=PlanStatus.ACTIVE
        )
        .values_list("invoice__number", "paymentplan__number")
        .first()
    )
    if taken:
        raise PlanError(f"{taken[0]} is already on the active plan P{taken[1]}")
    currency = currencies.pop()
    terms = rules.Terms(
        sum((i.outstanding for i in invoices), Decimal(0)),
        currency,
        count,
        first,
        rules.Cadence(cadence),
        late_fee=late_fee,
        on_miss=rules.OnMiss(on_miss),
    )
    schedule = rules.draft(terms)
    with transaction.atomic():
        # two drafts at the same moment may pick the same number: the unique constraint
        # refuses the second, and nothing of it is written
        number = (PaymentPlan.objects.for_org(org).aggregate(n=Max("number"))["n"] or 0) + 1
        plan = PaymentPlan.objects.create(
            organisation=org,
            number=number,
            client=client,
            total=terms.total,
            currency=currency,
            first_date=first,
            cadence=terms.cadence.value,
            grace_days=terms.grace_days,
            late_fee=late_fee,
            on_miss=terms.on_miss.value,
            created_by=by,
        )
        plan.invoices.set(invoices)
        Instalment.objects.bulk_create(
            [
                Instalment(plan=plan, number=i.number, due_date=i.due, amount=i.amount)
                for i in schedule
            ]
        )
    return plan


def accept(plan: PaymentPlan, *, by: str, now: datetime, how: str = AcceptedHow.STAFF) -> None:
    """The client agreed: the plan is active and its invoices leave the ladder."""
    with transaction.atomic():
        plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status not in (PlanStatus.DRAFT, PlanStatus.OFFERED):
            raise PlanError(
                f"{plan.label} is {plan.status}: only a draft or offered plan is accepted"
            )
        clash = (
            PaymentPlan.invoices.through.objects.filter(
                invoice__in=plan.invoices.all(), paymentplan__status=PlanStatus.ACTIVE
            )
            .values_list("invoice__number", "paymentplan__number")
            .first()
        )
        if clash:
            raise PlanError(f"{clash[0]} is already on the active plan P{clash[1]}")
        plan.status = PlanStatus.ACTIVE
        plan.accepted_by, plan.accepted_at, plan.accepted_how = by, now, how
        plan.save(update_fields=["status", "accepted_by", "accepted_at", "accepted_how"])
        withdraw_queued_reminders(plan)
        sync_payments(plan)


def withdraw_queued_reminders(plan: PaymentPlan) -> None:
    """Ladder messages about the covered invoices still waiting in the outbox (a send window
    not yet open, a retry) are withdrawn: no reminder goes out for an invoice on a plan."""
    from arrears.dunning.models import ActionStatus, OutboxAction, OutboxItem

    waiting = OutboxItem.objects.filter(
        action__organisation=plan.organisation,
        action__status=ActionStatus.QUEUED,
        invoice__in=plan.invoices.all(),
        skipped=False,
    ).exclude(action__key__startswith="plan-")
    touched = set(waiting.values_list("action_id", flat=True))
    waiting.delete()
    for pk in touched:
        if not OutboxItem.objects.filter(action_id=pk, skipped=False).exists():
            OutboxAction.objects.filter(pk=pk, status=ActionStatus.QUEUED).update(
                status=ActionStatus.CANCELLED,
                reason=f"the invoices are on payment plan {plan.label}",
            )


def received(plan: PaymentPlan) -> list[tuple[date, Decimal]]:
    """Payments on the covered invoices since the plan was drafted, with their dates."""
    return list(
        Allocation.objects.filter(
            invoice__in=plan.invoices.all(),
            kind=AllocationKind.PAYMENT,
            created_at__gte=plan.created_at,
        ).values_list("date", "amount")
    )


def sync_payments(plan: PaymentPlan) -> None:
    """Count the payments toward the instalments, oldest first; complete the plan when every
    instalment is paid or nothing is left open on the covered invoices."""
    rows = list(plan.instalments.all())
    total = sum((amount for _, amount in received(plan)), Decimal(0))
    paid = rules.paid_amounts(plan.schedule(), total)
    changed = [r for r, p in zip(rows, paid, strict=True) if r.paid != p]
    for r, p in zip(rows, paid, strict=True):
        r.paid = p
    Instalment.objects.bulk_update(changed, ["paid"])
    all_paid = all(p == r.amount for r, p in zip(rows, paid, strict=True))
    if plan.status != PlanStatus.ACTIVE:
        return
    if all_paid:
        close(plan, PlanStatus.COMPLETED, "every instalment is paid")
    elif not plan.invoices.filter(status__in=OPEN_STATUSES).exists():
        close(plan, PlanStatus.COMPLETED, "the covered invoices are settled")


def close(plan: PaymentPlan, status: str, reason: str, on: date | None = None) -> bool:
    """Complete or void an active plan, once (False if it was no longer active)."""
    from django.utils import timezone

    done = PaymentPlan.objects.filter(pk=plan.pk, status=PlanStatus.ACTIVE).update(
        status=status, closed_on=on or timezone.localdate(), closed_reason=reason
    )
    if done:
        plan.status = status
    return bool(done)


def void(plan: PaymentPlan, reason: str, on: date) -> tuple[str, int]:
    """End a plan by hand, once: an active plan is voided (the ladder resumes for its
    invoices); a draft or offered one is withdrawn, so that it can no longer be accepted, and
    its offer email, if it still waits in the outbox, is cancelled. Returns the status the plan
    had and how many offer emails were cancelled; PlanError if the plan had ended already."""
    from arrears.dunning.models import ActionStatus, OutboxAction

    with transaction.atomic():
        was = PaymentPlan.objects.select_for_update().get(pk=plan.pk).status
        if was not in (PlanStatus.DRAFT, PlanStatus.OFFERED, PlanStatus.ACTIVE):
            raise PlanError(
                f"{plan.label} is {was} already: only an active plan can be voided, "
                "or a draft or offered one withdrawn"
            )
        if was != PlanStatus.ACTIVE:
            reason = f"withdrawn: {reason}"
        PaymentPlan.objects.filter(pk=plan.pk).update(
            status=PlanStatus.VOIDED, closed_on=on, closed_reason=reason
        )
        cancelled = 0
        if was != PlanStatus.ACTIVE:
            cancelled = (
                OutboxAction.objects.for_org(plan.organisation_id)
                .filter(key=f"plan-offer/{plan.client.external_id}/{plan.label}")
                .filter(status=ActionStatus.QUEUED)
                .update(status=ActionStatus.CANCELLED, reason=f"{plan.label} was withdrawn")
            )
    plan.status = PlanStatus.VOIDED
    return was, cancelled


def charge_missed(plan: PaymentPlan, instalment: int, on: date):
    """The plan's late fee for a missed instalment, billed once as an invoice of its own
    (`P1-M2`: plan P1, instalment 2), due the day the client is told; None without a fee."""
    from arrears.ledger.models import Invoice, InvoiceLine

    if not plan.late_fee or not instalment:
        return None
    number = f"{plan.label}-M{instalment}"
    found = Invoice.objects.for_org(plan.organisation_id).filter(number=number).first()
    if found is not None:
        return found
    covered = plan.invoices.order_by("due_date", "number").first()
    fee = Invoice.objects.create(
        organisation_id=plan.organisation_id,
        client_id=plan.client_id,
        contract_id=covered.contract_id if covered else None,
        number=number,
        issue_date=on,
        due_date=on,
        currency=plan.currency,
        total=plan.late_fee,
        description=f"Late fee: instalment {instalment} of payment plan {plan.label} was missed",
    )
    InvoiceLine.objects.create(
        invoice=fee,
        position=1,
        description=f"Late fee for the missed instalment {instalment} of {plan.label}",
        unit_price=plan.late_fee,
        amount=plan.late_fee,
    )
    return fee
