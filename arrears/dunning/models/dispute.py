from django.conf import settings
from django.db import models
from django.db.models import Q

from arrears.ledger.models.scoping import OrgModel


class DisputeReason(models.TextChoices):
    ADMINISTRATIVE = "administrative", "Administrative (PO, entity, vendor set-up)"
    MISSING_PO = "missing-po", "Administrative: PO number missing"
    WRONG_ENTITY = "wrong-entity", "Administrative: billed to the wrong entity"
    VENDOR_SETUP = "vendor-setup", "Administrative: we are not set up as a vendor"
    CASH_FLOW = "cash-flow", "Cash flow"
    QUALITY = "quality", "Quality of the work"
    APPROVAL_PENDING = "approval-pending", "Waiting for a demo or an approval"
    OTHER = "other", "Other"


class Dispute(OrgModel):
    """An invoice the client contests. While open, the ladder pauses for that invoice."""

    invoice = models.ForeignKey("ledger.Invoice", on_delete=models.CASCADE, related_name="disputes")
    reason = models.CharField(max_length=20, choices=DisputeReason.choices)
    note = models.TextField(blank=True)
    opened_on = models.DateField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_on = models.DateField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # At most one open dispute per invoice.
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(resolved_on__isnull=True), name="dispute_one_open"
            ),
        ]
        ordering = ["-opened_on"]

    def __str__(self) -> str:
        return f"{self.invoice} disputed ({self.reason})"

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None
