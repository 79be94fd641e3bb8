from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from arrears.ledger.fields import money_field

from .scoping import OrgModel


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    DIRECT_DEBIT = "direct_debit", "Direct debit"
    CHEQUE = "cheque", "Cheque"
    CASH = "cash", "Cash"
    OTHER = "other", "Other"


class Payment(OrgModel):
    """Money received. What is not allocated to invoices is the client's credit.

    A payment that did not stay (a cheque that bounced, a direct debit recalled, money booked
    to the wrong client) is reversed, never deleted: its allocations are taken back and it
    keeps the day and the reason (`settlement.reverse_payment`). A reversed payment settles
    nothing and is nobody's credit."""

    client = models.ForeignKey("ledger.Client", on_delete=models.PROTECT, related_name="payments")
    external_id = models.CharField("payment id", max_length=100)
    date = models.DateField()
    amount = money_field()
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=200, blank=True)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices, blank=True)
    allocated = money_field(default=Decimal(0), editable=False)
    reversed_on = models.DateField(null=True, blank=True, editable=False)
    reversal_reason = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"], name="payment_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(reversed_on__isnull=True) | Q(allocated=0),
                name="payment_reversed_allocates_nothing",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0, allocated__lte=F("amount")),
                name="payment_not_over_allocated",
            ),
        ]
        ordering = ["date", "external_id"]

    def __str__(self) -> str:
        return self.external_id

    @property
    def unallocated(self) -> Decimal:
        """The client's credit from this payment (none once it is reversed)."""
        return Decimal(0) if self.reversed_on else self.amount - self.allocated


class CreditNote(OrgModel):
    """A reduction of what the client owes, issued by the organisation."""

    client = models.ForeignKey(
        "ledger.Client", on_delete=models.PROTECT, related_name="credit_notes"
    )
    number = models.CharField(max_length=60)
    date = models.DateField()
    amount = money_field()
    currency = models.CharField(max_length=3)
    reason = models.TextField(blank=True)
    allocated = money_field(default=Decimal(0), editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="credit_note_number_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_note_amount_positive"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0, allocated__lte=F("amount")),
                name="credit_note_not_over_allocated",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class AllocationKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    CREDIT_NOTE = "credit_note", "Credit note"
    WRITE_OFF = "write_off", "Write-off"


class Allocation(OrgModel):
    """Part of an invoice settled by a payment, a credit note or a write-off, on a date."""

    invoice = models.ForeignKey(
        "ledger.Invoice", on_delete=models.CASCADE, related_name="allocations"
    )
    kind = models.CharField(max_length=12, choices=AllocationKind.choices)
    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, null=True, blank=True, related_name="allocations"
    )
    credit_note = models.ForeignKey(
        CreditNote, on_delete=models.CASCADE, null=True, blank=True, related_name="allocations"
    )
    date = models.DateField()
    amount = money_field()
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.CheckConstraint(
                condition=(
                    Q(kind="payment", payment__isnull=False, credit_note__isnull=True)
                    | Q(kind="credit_note", credit_note__isnull=False, payment__isnull=True)
                    | Q(kind="write_off", payment__isnull=True, credit_note__isnull=True)
                ),
                name="allocation_source_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["invoice", "date"], name="allocation_by_invoice_date")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} to {self.invoice_id}"
