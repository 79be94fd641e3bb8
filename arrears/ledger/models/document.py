import hashlib

from django.db import models

from .scoping import OrgModel


class DocumentKind(models.TextChoices):
    CONTRACT = "contract", "Contract"
    SOW = "sow", "Statement of work"
    CHANGE_ORDER = "change_order", "Change order"
    DELIVERY_CONFIRMATION = "delivery_confirmation", "Delivery confirmation"
    OTHER = "other", "Other"


def _upload_to(instance: "Document", filename: str) -> str:
    return f"documents/{instance.organisation_id}/{instance.client_id}/{filename}"


class Document(OrgModel):
    """A file kept as evidence; its SHA-256 is recorded when it is stored, so later tampering
    shows."""

    client = models.ForeignKey("ledger.Client", on_delete=models.PROTECT, related_name="documents")
    contract = models.ForeignKey(
        "ledger.Contract",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
    )
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=_upload_to)
    sha256 = models.CharField(max_length=64, editable=False)
    size = models.PositiveBigIntegerField(default=0, editable=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client", "uploaded_at"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.file and not self.sha256:
            digest = hashlib.sha256()
            self.file.open("rb")
            for chunk in self.file.chunks():
                digest.update(chunk)
            self.file.seek(0)
            self.sha256 = digest.hexdigest()
            self.size = self.file.size
        super().save(*args, **kwargs)

    def verify(self) -> bool:
        """True when the stored file still has the hash recorded at upload."""
        digest = hashlib.sha256()
        with self.file.open("rb") as fh:
            for chunk in fh.chunks():
                digest.update(chunk)
        return digest.hexdigest() == self.sha256
