from django.db import models

from arrears.ledger.models.scoping import OrgModel


class PolicyVersion(OrgModel):
    """Every saved version of a policy, with who saved it; the highest version is in force."""

    name = models.SlugField(max_length=60)
    version = models.PositiveIntegerField()
    text = models.TextField(help_text="The policy as YAML.")
    changed_by = models.CharField(max_length=200)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name", "version"], name="policy_version_unique"
            ),
        ]
        ordering = ["name", "-version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
