from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from arrears.core.bank import (
    BankDetails,
    parse_account_number,
    parse_bic,
    parse_iban,
    parse_sort_code,
)
from arrears.core.parsing import Invalid


def _check(parse, value: str) -> None:
    """The admin refuses what `arrears org set bank` refuses, and wants the stored form."""
    try:
        stored = parse(value)
    except Invalid as exc:
        raise ValidationError(str(exc)) from None
    if stored != value:
        raise ValidationError(f"{value!r}: write it as {stored}")


def validate_iban(value: str) -> None:
    _check(parse_iban, value)


def validate_bic(value: str) -> None:
    _check(parse_bic, value)


def validate_account_number(value: str) -> None:
    _check(parse_account_number, value)


def validate_sort_code(value: str) -> None:
    _check(parse_sort_code, value)


class ChargeAs(models.TextChoices):
    """How late-payment charges are recorded when a notice states them (`arrears org set
    charge-as`; the charges app does it, ARREARS_CHARGE_AS is the default)."""

    INTEREST_LINE = "interest-line", "charge rows on the invoice"
    FEE_INVOICE = "fee-invoice", "charge rows, billed on a fee invoice of their own"
    NONE = "none", "quoted in the notices, never charged"


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
    # Where clients pay (`arrears org set bank`): shown on every client-facing message and letter.
    bank_account_name = models.CharField(max_length=200, blank=True)
    bank_iban = models.CharField("IBAN", max_length=34, blank=True, validators=[validate_iban])
    bank_bic = models.CharField("BIC", max_length=11, blank=True, validators=[validate_bic])
    bank_account_number = models.CharField(
        max_length=8, blank=True, validators=[validate_account_number]
    )
    bank_sort_code = models.CharField(max_length=8, blank=True, validators=[validate_sort_code])
    charge_as = models.CharField(
        max_length=20,
        blank=True,
        choices=ChargeAs.choices,
        help_text="How late-payment charges are recorded (`arrears org set charge-as`); "
        "empty: ARREARS_CHARGE_AS.",
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

    @property
    def bank(self) -> BankDetails:
        """Where clients pay; the account holder is the organisation unless named."""
        if not (self.bank_iban or self.bank_account_number):
            return BankDetails()
        return BankDetails(
            self.bank_account_name or self.name,
            self.bank_iban,
            self.bank_bic,
            self.bank_account_number,
            self.bank_sort_code,
        )


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
