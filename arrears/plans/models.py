"""A payment plan, its instalments and the invoices it covers."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from arrears.core.instalments import Cadence, OnMiss, Terms
from arrears.core.instalments import Instalment as Scheduled
from arrears.ledger.fields import money_field
from arrears.ledger.models.scoping import OrgModel


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OFFERED = "offered", "Offered"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    VOIDED = "voided", "Voided"


class AcceptedHow(models.TextChoices):
    STAFF = "staff", "Recorded by staff"
    PORTAL = "portal", "Through the client portal"


class PaymentPlan(OrgModel):
    """`P3`: the plan's number within its organisation. While `active`, the covered invoices
    are off the ladder and the plan sends its own reminders."""

    number = models.PositiveIntegerField()
    client = models.ForeignKey("ledger.Client", on_delete=models.PROTECT, related_name="plans")
    invoices = models.ManyToManyField("ledger.Invoice", related_name="payment_plans")
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    total = money_field()
    currency = models.CharField(max_length=3)
    first_date = models.DateField()
    cadence = models.CharField(
        max_length=8, choices=[(c.value, c.value) for c in Cadence], default=Cadence.MONTH
    )
    grace_days = models.PositiveSmallIntegerField(default=3)
    late_fee = money_field(default=0, help_text="Per missed instalment; 0: none.")
    on_miss = models.CharField(
        max_length=10, choices=[(c.value, c.value) for c in OnMiss], default=OnMiss.VOID
    )
    created_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.CharField(max_length=254, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_how = models.CharField(max_length=8, choices=AcceptedHow.choices, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closed_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="plan_number_unique"),
            models.CheckConstraint(condition=Q(total__gt=0), name="plan_total_positive"),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(accepted_at__isnull=False),
                name="plan_active_is_accepted",
            ),
        ]
        ordering = ["number"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"P{self.number}"

    def terms(self) -> Terms:
        return Terms(
            self.total,
            self.currency,
            self.instalments.count(),
            self.first_date,
            Cadence(self.cadence),
            self.grace_days,
            self.late_fee,
            OnMiss(self.on_miss),
        )

    def schedule(self) -> tuple[Scheduled, ...]:
        return tuple(Scheduled(i.number, i.due_date, i.amount) for i in self.instalments.all())


class Instalment(models.Model):
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount = money_field()
    paid = money_field(default=0, help_text="What the payments received so far cover of it.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="instalment_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_positive"),
            models.CheckConstraint(
                condition=Q(paid__gte=0) & Q(paid__lte=models.F("amount")),
                name="instalment_paid_within_amount",
            ),
        ]
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.plan.label}#{self.number}"
