from django.db import models
from django.db.models import F, Q

from arrears.ledger.fields import FixedDecimalField, money_field

from .scoping import OrgModel


class Engagement(models.TextChoices):
    TIME_AND_MATERIALS = "tm", "Time and materials"
    FIXED = "fixed", "Fixed price"
    MILESTONE = "milestone", "Milestones"
    RETAINER = "retainer", "Retainer"


class Contract(OrgModel):
    """Amounts (late fee, credit limit) are in the client's currency."""

    client = models.ForeignKey("ledger.Client", on_delete=models.CASCADE, related_name="contracts")
    external_id = models.CharField("contract id", max_length=100)
    engagement = models.CharField(max_length=12, choices=Engagement.choices)
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    late_fee_fixed = money_field(null=True, blank=True)
    late_interest_annual_pct = FixedDecimalField(
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Empty: statutory where the law gives it.",
    )
    late_fee_grace_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days after the due date before the late fee and interest apply."
    )
    late_interest_cap_pct = FixedDecimalField(
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Contractual interest is capped at this percentage of the principal.",
    )
    service_modification_clause = models.BooleanField(default=False)
    stop_work_clause = models.BooleanField(default=False)
    suspension_rights_clause = models.BooleanField(default=False)
    non_essential_services = models.TextField(
        blank=True,
        help_text="What maintenance mode reduces, one per line (empty: the standard list).",
    )
    essential_services = models.TextField(
        blank=True,
        help_text="What continues in maintenance mode, one per line (empty: the standard list).",
    )
    stop_work_threshold_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Days overdue past which an invoice calls for standing the team down.",
    )
    credit_limit = money_field(null=True, blank=True)
    deposit_pct = FixedDecimalField(decimal_places=4, null=True, blank=True)
    po_required = models.BooleanField(default=False)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    governing_law = models.CharField(
        max_length=10, help_text="Country code of the law that governs."
    )
    policy = models.SlugField(
        max_length=60, blank=True, help_text="Dunning policy (empty: the client's)."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"], name="contract_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(late_fee_fixed__isnull=True) | Q(late_fee_fixed__gte=0),
                name="contract_late_fee_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(late_interest_annual_pct__isnull=True)
                | Q(late_interest_annual_pct__gte=0),
                name="contract_interest_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(late_interest_cap_pct__isnull=True) | Q(late_interest_cap_pct__gte=0),
                name="contract_interest_cap_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="contract_credit_limit_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(deposit_pct__isnull=True) | Q(deposit_pct__gte=0, deposit_pct__lte=100),
                name="contract_deposit_0_100",
            ),
        ]
        ordering = ["client", "start_date"]

    def __str__(self) -> str:
        return self.external_id
