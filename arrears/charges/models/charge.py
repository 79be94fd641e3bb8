from django.db import models
from django.db.models import Q

from arrears.ledger.fields import money_field
from arrears.ledger.models.scoping import OrgModel


class ChargeKind(models.TextChoices):
    FEE = "fee", "Late fee"
    INTEREST = "interest", "Interest"
    COMPENSATION = "compensation", "Fixed compensation"


class Charge(OrgModel):
    """A late fee, interest or fixed compensation charged for an invoice when a step was
    performed. One per invoice, kind and step (the database holds it), so a step performed
    again, or a receiver called twice, never charges twice."""

    invoice = models.ForeignKey("ledger.Invoice", on_delete=models.CASCADE, related_name="charges")
    kind = models.CharField(max_length=16, choices=ChargeKind.choices)
    step = models.CharField(max_length=60)
    amount = money_field()
    currency = models.CharField(max_length=3)
    charged_on = models.DateField()
    basis = models.TextField(blank=True, help_text="The clause or the law, in words.")
    fee_invoice = models.ForeignKey(
        "ledger.Invoice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The invoice that bills this charge (the organisation's charge-as is fee-invoice).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "kind", "step"], name="charge_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_positive"),
        ]
        ordering = ["invoice", "charged_on", "kind"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} on {self.invoice_id} ({self.step})"
