from django.conf import settings
from django.db import models
from django.db.models import Q

from arrears.ledger.models.scoping import OrgModel


class PromiseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    KEPT = "kept", "Kept"
    BROKEN = "broken", "Broken"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Promise(OrgModel):
    """The client said it will pay by `until`: the ladder pauses until then plus the grace."""

    invoice = models.ForeignKey("ledger.Invoice", on_delete=models.CASCADE, related_name="promises")
    until = models.DateField()
    note = models.TextField(blank=True)
    made_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=PromiseStatus.choices, default=PromiseStatus.ACTIVE
    )
    closed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(status="active"), name="promise_one_active"
            ),
        ]
        ordering = ["-made_on"]

    def __str__(self) -> str:
        return f"{self.invoice} promised by {self.until}"
