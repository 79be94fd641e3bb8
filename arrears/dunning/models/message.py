from __future__ import annotations

from django.db import models

from arrears.ledger.models.scoping import OrgModel


class Message(OrgModel):
    """A communication as it was sent: rendered subject and bodies, recipients, time."""

    client = models.ForeignKey("ledger.Client", on_delete=models.CASCADE, related_name="messages")
    action = models.ForeignKey(
        "dunning.OutboxAction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    kind = models.CharField(max_length=16)
    step = models.CharField(max_length=60)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    from_email = models.CharField(max_length=300)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    reply_to = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=300)
    in_reply_to = models.CharField(max_length=300, blank=True)
    references = models.TextField(blank=True)
    sent_at = models.DateTimeField()
    invoices = models.ManyToManyField("ledger.Invoice", related_name="messages", blank=True)

    class Meta:
        ordering = ["sent_at"]
        indexes = [models.Index(fields=["client", "sent_at"], name="message_by_client")]

    def __str__(self) -> str:
        return self.subject

    @classmethod
    def record(cls, action, outgoing, *, sent_at, kind: str | None = None) -> Message:
        """Store `outgoing` as sent for `action` (the runners of other apps' outbox kinds; the
        email deliverer writes its rows in plain SQL, dunning/sql.py)."""
        return cls.objects.create(
            organisation_id=action.organisation_id,
            client_id=action.client_id,
            action=action,
            kind=kind or action.kind,
            step=action.step,
            subject=outgoing.subject,
            body_text=outgoing.text,
            body_html=outgoing.html,
            from_email=outgoing.from_email,
            to=list(outgoing.to),
            cc=list(outgoing.cc),
            reply_to=outgoing.reply_to,
            message_id=outgoing.headers["Message-ID"],
            sent_at=sent_at,
        )


class Run(OrgModel):
    """One `arrears apply` (or the daily job): what it planned, sent and failed."""

    on = models.DateField()
    daily = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    planned = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    retrying = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    claimed_by = models.CharField(
        max_length=120, blank=True, help_text="The process running it (empty once finished)."
    )
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="Renewed while it runs: a crashed run is taken over."
    )

    class Meta:
        constraints = [
            # the daily job runs once per organisation and day, however many servers run
            models.UniqueConstraint(
                fields=["organisation", "on"], condition=models.Q(daily=True), name="run_daily_once"
            ),
        ]
        ordering = ["-started_at"]
