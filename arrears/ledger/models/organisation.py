from django.conf import settings
from django.db import models
from django.db.models import Q


class Organisation(models.Model):
    """The supplier: the business that sends invoices and gets paid."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    postal_address = models.TextField(blank=True)
    country = models.CharField(max_length=10, help_text="ISO 3166-1 alpha-2, or a subdivision")
    accounts_email = models.EmailField(help_text="Replies from clients go here.")
    base_currency = models.CharField(max_length=3)
    timezone = models.CharField(max_length=64, default="UTC")
    daily_run_hour = models.PositiveSmallIntegerField(
        default=7, help_text="Local hour (0-23) at which `arrears serve` runs the daily job."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(daily_run_hour__gte=0, daily_run_hour__lte=23),
                name="organisation_run_hour_0_23",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    LEADERSHIP = "leadership", "Leadership"
    ACCOUNTING = "accounting", "Accounting"
    SALES = "sales", "Sales"
    DELIVERY = "delivery", "Delivery"
    MEMBER = "member", "Member"


class Membership(models.Model):
    """A user's role in an organisation; one role each."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) at {self.organisation}"
