from django.db import models

from arrears.ledger.models.scoping import OrgModel


class Escrow(OrgModel):
    """A client's secret (a deployment key, a token) kept encrypted at rest with Fernet
    (arrears.channels.escrow.crypto). `withheld` is true while the suspension keeps it from the client."""

    client = models.ForeignKey("ledger.Client", on_delete=models.CASCADE, related_name="+")
    name = models.SlugField(max_length=60)
    token = models.TextField(help_text="The secret, Fernet-encrypted.")
    withheld = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="escrow_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}/{self.name}"
