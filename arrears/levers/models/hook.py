from django.db import models

from arrears.channels.kinds import HOOK_CHOICES
from arrears.ledger.models.scoping import OrgModel


class Hook(OrgModel):
    """Something to run when a client's level changes: for the whole organisation (no client)
    or one client. `events` are `enter:<level>` / `restore:<level>`; `settings` belong to the
    kind and are checked by it (arrears.channels.HOOKS) whenever they are written or read."""

    name = models.SlugField(max_length=60)
    client = models.ForeignKey(
        "ledger.Client", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=HOOK_CHOICES)  # channels/kinds.py
    events = models.JSONField(default=list)
    settings = models.JSONField(default=dict)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="hook_name_unique"),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class RunOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    OK = "ok", "Succeeded"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed"


class HookRun(OrgModel):
    """One attempt at a hook: written before it runs, completed after (a crash leaves it
    `running`). Output is kept short and never holds an escrowed secret."""

    action = models.ForeignKey(
        "dunning.OutboxAction", on_delete=models.CASCADE, related_name="hook_runs"
    )
    hook = models.ForeignKey(Hook, on_delete=models.SET_NULL, null=True, related_name="runs")
    key = models.CharField(max_length=250)
    attempt = models.PositiveIntegerField()
    outcome = models.CharField(max_length=8, choices=RunOutcome.choices)
    exit_status = models.IntegerField(null=True, blank=True)
    http_status = models.IntegerField(null=True, blank=True)
    output = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.key} #{self.attempt}: {self.outcome}"
