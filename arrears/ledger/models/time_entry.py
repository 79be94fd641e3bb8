from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from arrears.ledger.fields import FixedDecimalField, money_field

from .scoping import OrgModel


class TimeEntry(OrgModel):
    """Hours worked for a client. Rates are per hour in the client's currency; `invoice` is the
    invoice that billed the entry (empty: unbilled work in progress)."""

    client = models.ForeignKey(
        "ledger.Client", on_delete=models.PROTECT, related_name="time_entries"
    )
    contract = models.ForeignKey(
        "ledger.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    external_id = models.CharField("entry id", max_length=100)
    date = models.DateField()
    person = models.CharField(max_length=200)
    hours = FixedDecimalField(decimal_places=2)
    bill_rate = money_field()
    cost_rate = money_field()
    description = models.TextField(blank=True)
    invoice = models.ForeignKey(
        "ledger.Invoice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"], name="time_entry_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(hours__gt=0, hours__lte=24), name="time_entry_hours_0_24"
            ),
            models.CheckConstraint(
                condition=Q(bill_rate__gte=0, cost_rate__gte=0),
                name="time_entry_rates_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["client", "date"], name="time_entry_by_client_date")]
        ordering = ["date", "person"]
        verbose_name_plural = "time entries"

    def __str__(self) -> str:
        return f"{self.date} {self.person} {self.hours}h"

    def clean(self):
        if self.client_id is None:
            return
        if self.contract_id and self.contract.client_id != self.client_id:
            raise ValidationError("The contract is another client's.")
        if self.invoice_id and self.invoice.client_id != self.client_id:
            raise ValidationError("The invoice is another client's.")
