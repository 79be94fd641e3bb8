from django.conf import settings
from django.db import models

from arrears.core.levels import ORDER
from arrears.ledger.models.scoping import OrgModel

LEVEL_CHOICES = [(lv.value, lv.value.capitalize()) for lv in ORDER]


class ServiceLevel(OrgModel):
    """A client's current level and its episode: an episode starts when the client leaves
    `normal` and ends when it is restored. `triggers` are the invoices (pks) whose lever steps
    raised it during the episode; when none of them is open any more, the client is restored."""

    client = models.OneToOneField(
        "ledger.Client", on_delete=models.CASCADE, related_name="service_level"
    )
    level = models.CharField(max_length=12, choices=LEVEL_CHOICES, default="normal")
    episode = models.PositiveIntegerField(default=0)
    triggers = models.ManyToManyField("ledger.Invoice", related_name="+", blank=True)
    since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.client_id}: {self.level}"


class LevelChange(OrgModel):
    """The audit trail: every change of level, who or which step made it, and why."""

    client = models.ForeignKey("ledger.Client", on_delete=models.CASCADE, related_name="+")
    episode = models.PositiveIntegerField()
    from_level = models.CharField(max_length=12, choices=LEVEL_CHOICES)
    to_level = models.CharField(max_length=12, choices=LEVEL_CHOICES)
    reason = models.TextField()
    by_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by_step = models.CharField(max_length=250, blank=True, help_text="The outbox key of the step.")
    on = models.DateField(help_text="The plan day (client's calendar).")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_level} -> {self.to_level}"

    @property
    def by(self) -> str:
        return self.by_person.email if self.by_person_id else (self.by_step or "payment")


class TimeOverride(OrgModel):
    """Time entries accepted for a stopped or suspended client, and why (a production
    incident): recorded and alerted."""

    client = models.ForeignKey("ledger.Client", on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=12, choices=LEVEL_CHOICES)
    reason = models.TextField()
    entries = models.PositiveIntegerField()
    source = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.client_id}: {self.reason}"
