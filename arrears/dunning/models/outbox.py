from django.conf import settings
from django.db import models
from django.db.models import Q

from arrears.channels.kinds import KIND_CHOICES
from arrears.ledger.models.scoping import OrgModel


class ActionStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class OutboxAction(OrgModel):
    """A due action, written before anything is sent (the durable outbox). `key` says what it
    is, so planning the same thing twice finds the same row."""

    key = models.CharField(max_length=250)
    client = models.ForeignKey(
        "ledger.Client",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="actions",
        help_text="Empty for organisation-wide actions (the daily digest).",
    )
    step = models.CharField(max_length=60)
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)  # channels/kinds.py
    level = models.CharField(max_length=8)
    template = models.CharField(max_length=60)
    policy = models.CharField(max_length=60)
    status = models.CharField(
        max_length=10, choices=ActionStatus.choices, default=ActionStatus.QUEUED
    )
    scheduled_for = models.DateField()
    not_before = models.DateTimeField(
        null=True, blank=True, help_text="Start of the client's send window."
    )
    not_after = models.DateTimeField(
        null=True,
        blank=True,
        help_text="End of that send window: a row not sent by then waits for the next one.",
    )
    to = models.JSONField(default=list)  # list of addresses
    cc = models.JSONField(default=list)
    reason = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=120, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    promise = models.ForeignKey(
        "dunning.Promise", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(
        default=dict, blank=True, help_text="Figures the message quotes, set by whoever planned it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="outbox_key_unique"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_ready")]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.key

    @property
    def client_facing(self) -> bool:
        return self.kind in ("email", "letter", "lever")


class OutboxItem(models.Model):
    """An invoice an action covers, at its own step; `skipped` items are earlier steps the
    action leaves behind (recorded as skipped when it is performed)."""

    action = models.ForeignKey(OutboxAction, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey("ledger.Invoice", on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=60)
    skipped = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["action", "invoice", "step"], name="outbox_item_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}@{self.step}"


class StepState(models.TextChoices):
    IN_FLIGHT = "in_flight", "Being sent"
    PERFORMED = "performed", "Performed"
    SKIPPED = "skipped", "Skipped"


class StepRecord(OrgModel):
    """A step done for an invoice (or, for client-level steps, a client): at most once, held
    by the database. Written `in_flight` before the side effect, `performed` after it."""

    client = models.ForeignKey("ledger.Client", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(  # indexed by step_record_history, which starts with it
        "ledger.Invoice",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    step = models.CharField(max_length=60)
    kind = models.CharField(max_length=16)
    state = models.CharField(max_length=10, choices=StepState.choices)
    skipping = models.BooleanField(
        default=False,
        help_text="Held in flight to be recorded as skipped (not performed) when the action goes out.",
    )
    action = models.ForeignKey(
        OutboxAction, on_delete=models.SET_NULL, null=True, blank=True, related_name="records"
    )
    on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "step"],
                condition=Q(invoice__isnull=False),
                name="step_once_per_invoice",
            ),
            models.UniqueConstraint(
                fields=["client", "step"],
                condition=Q(invoice__isnull=True),
                name="step_once_per_client",
            ),
        ]
        indexes = [
            # what the daily plan reads of each open invoice, from the index alone: a ledger
            # keeps millions of records and a day reads an invoice's few
            models.Index(
                fields=["invoice", "organisation", "step", "kind", "state", "on"],
                name="step_record_history",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} {self.state}"


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Approval(OrgModel):
    """A person's decision on an action that needs approval, found by the action's key."""

    key = models.CharField(max_length=250)
    step = models.CharField(max_length=60)
    client = models.ForeignKey("ledger.Client", on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="approval_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.decision}"


class ApprovalItem(models.Model):
    """The invoices an approval covers (an approved final demand stays approved for them)."""

    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey("ledger.Invoice", on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=60)

    def __str__(self) -> str:
        return f"{self.invoice_id}@{self.step}"
