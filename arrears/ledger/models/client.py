from django.db import models

from arrears.ledger.validators import (
    validate_country,
    validate_currency,
    validate_language,
    validate_timezone,
)

from .scoping import OrgModel


class Client(OrgModel):
    external_id = models.CharField("client id", max_length=100)
    name = models.CharField(max_length=200)
    country = models.CharField(
        max_length=10,
        help_text="ISO 3166-1 alpha-2 (DE) or ISO 3166-2 subdivision (DE-BY)",
        validators=[validate_country],
    )
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    currency = models.CharField(max_length=3, validators=[validate_currency])
    language = models.CharField(max_length=16, default="en", validators=[validate_language])
    sales_owner_email = models.EmailField(blank=True)
    delivery_lead_email = models.EmailField(blank=True)
    policy = models.SlugField(
        max_length=60, blank=True, help_text="Dunning policy (empty: default)."
    )
    postal_address = models.TextField(
        blank=True, help_text="Where letters go (the final demand): street, town, postcode."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"], name="client_id_unique"
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"

    @property
    def country_code(self) -> str:
        """The ISO 3166-1 part: `DE` for `DE-BY`."""
        return self.country.split("-", 1)[0]

    @property
    def subdivision(self) -> str | None:
        return self.country.split("-", 1)[1] if "-" in self.country else None


class ContactRole(models.TextChoices):
    BILLING = "billing", "Billing"
    ACCOUNTING = "accounting", "Accounting"
    GENERAL = "general", "General alias"
    TECHNICAL = "technical", "Technical"
    APPROVER = "approver", "Approver"
    LEADERSHIP = "leadership", "Leadership"


class Contact(OrgModel):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "email"], name="contact_email_unique"),
        ]
        ordering = ["client", "email"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def roles(self) -> list[str]:
        return sorted(r.role for r in self.role_set.all())


class ContactRoleAssignment(models.Model):
    """A contact may have several roles: one row each."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="role_set")
    role = models.CharField(max_length=20, choices=ContactRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "role"], name="contact_role_unique"),
        ]

    def __str__(self) -> str:
        return self.role
