"""What the escalation work remembers: the organisation's alert thresholds and digest settings,
and since when each approval has been waiting."""

from django.db import models

from arrears.ledger.fields import money_field
from arrears.ledger.models.scoping import OrgModel
from arrears.ledger.validators import validate_currency


class Threshold(OrgModel):
    """Exposure (overdue + current + unbilled work) at which the sales owner, delivery lead and
    leadership are alerted about a client, in addition to the client's credit limit. One per
    currency: amounts in different currencies are never compared."""

    currency = models.CharField(max_length=3, validators=[validate_currency])
    amount = money_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "currency"], name="exposure_threshold_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="exposure_threshold_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class DigestSettings(OrgModel):
    """Where the daily leadership digest goes: email to leadership, a chat webhook, both or
    neither (the default: a solo engineer does not need a digest of their own day). The signing secret is never stored
    here: it comes from ARREARS_DIGEST_WEBHOOK_SECRET (or its _FILE)."""

    webhook_url = models.URLField(
        blank=True,
        help_text="Slack-compatible incoming webhook; empty: ARREARS_DIGEST_WEBHOOK_URL.",
    )
    email = models.BooleanField(default=False, help_text="Email the digest to leadership.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="digest_settings_one"),
        ]
        verbose_name_plural = "digest settings"

    def __str__(self) -> str:
        return self.webhook_url or ("email" if self.email else "off")


class ApprovalWait(OrgModel):
    """An action that needs an approval, and the day the daily run first found it waiting."""

    key = models.CharField(max_length=250)
    client = models.ForeignKey("ledger.Client", on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=60)
    since = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="approval_wait_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} since {self.since}"
