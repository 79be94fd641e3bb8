from django.db import models
from django.db.models import Q

from arrears.ledger.fields import FixedDecimalField
from arrears.ledger.models.scoping import OrgModel


class ReferenceRate(OrgModel):
    """A reference-rate period an organisation imported (`arrears rates import`). The packaged
    history (arrears/data/reference_rates.csv) is the base and is read from the file; these rows
    add to it, and a row for the same series and day replaces the packaged one."""

    series = models.CharField(max_length=40)
    effective_from = models.DateField()
    rate_pct = FixedDecimalField(decimal_places=4)  # may be negative (Basiszinssatz 2022)
    source = models.CharField(max_length=200)
    verification = models.CharField(max_length=20, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "series", "effective_from"], name="reference_rate_unique"
            ),
        ]
        ordering = ["series", "effective_from"]

    def __str__(self) -> str:
        return f"{self.series} {self.rate_pct}% from {self.effective_from}"


class FxRate(OrgModel):
    """1 `base` = `rate` `quote` on `on` (ECB files: base EUR)."""

    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    on = models.DateField()
    rate = FixedDecimalField(decimal_places=8)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "base", "quote", "on"], name="fx_rate_unique"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fx_rate_positive"),
        ]
        indexes = [models.Index(fields=["organisation", "base", "quote", "on"], name="fx_by_day")]
        ordering = ["base", "quote", "on"]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote} ({self.on})"
