from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from arrears.ledger.fields import FixedDecimalField, money_field

from .scoping import OrgModel, check_fields


class InvoiceStatus(models.TextChoices):
    """Derived from the allocations (see `Invoice.derive_status`), stored so that the open
    invoices of a million can be found by index."""

    OPEN = "open", "Open"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    WRITTEN_OFF = "written_off", "Written off"


OPEN_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)


class Invoice(OrgModel):
    """total = paid + credited + written_off + outstanding, held by the database."""

    client = models.ForeignKey("ledger.Client", on_delete=models.PROTECT, related_name="invoices")
    contract = models.ForeignKey(
        "ledger.Contract", on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    number = models.CharField(max_length=60)
    issue_date = models.DateField()
    due_date = models.DateField()
    currency = models.CharField(max_length=3)
    total = money_field()
    paid = money_field(default=Decimal(0), editable=False)
    credited = money_field(default=Decimal(0), editable=False)
    written_off = money_field(default=Decimal(0), editable=False)
    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN, editable=False
    )
    po_number = models.CharField("PO number", max_length=100, blank=True)
    approver_email = models.EmailField(blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="invoice_number_unique"
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="invoice_total_positive"),
            models.CheckConstraint(
                condition=Q(paid__gte=0, credited__gte=0, written_off__gte=0),
                name="invoice_settlements_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total__gte=F("paid") + F("credited") + F("written_off")),
                name="invoice_not_over_settled",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "due_date"], name="invoice_open_by_due"),
        ]
        ordering = ["issue_date", "number"]

    def __str__(self) -> str:
        return self.number

    def clean(self):
        if self.contract_id and self.client_id and self.contract.client_id != self.client_id:
            raise ValidationError("The contract is another client's.")

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.paid - self.credited - self.written_off

    def derive_status(self) -> str:
        return derive_status(self.total, self.paid, self.credited, self.written_off)


def derive_status(total: Decimal, paid: Decimal, credited: Decimal, written_off: Decimal) -> str:
    settled = paid + credited + written_off
    if settled >= total:
        return InvoiceStatus.WRITTEN_OFF if written_off > 0 else InvoiceStatus.PAID
    return InvoiceStatus.PARTIALLY_PAID if settled > 0 else InvoiceStatus.OPEN


class InvoiceLine(models.Model):
    """An invoice imported from a file has no line rows: its description and total are its one
    line. Invoices built in the product (the demo, the UI) list their lines here."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    quantity = FixedDecimalField(decimal_places=4, default=Decimal(1))
    unit_price = money_field()
    amount = money_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
        ]
        ordering = ["invoice", "position"]

    def __str__(self) -> str:
        return self.description

    def clean_fields(self, exclude=None):
        check_fields(self, exclude)
