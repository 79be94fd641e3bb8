from django.contrib import admin

from arrears.charges.models import Charge, FxRate, ReferenceRate
from arrears.ledger.admin import OrgScoped


@admin.register(Charge)
class ChargeAdmin(OrgScoped):
    """Charges are written by the engine the day a step is performed: read them here."""

    list_display = ("invoice", "kind", "step", "amount", "currency", "charged_on", "fee_invoice")
    list_filter = ("kind", "step")
    search_fields = ("invoice__number",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a charge deleted would be charged again


@admin.register(ReferenceRate)
class ReferenceRateAdmin(OrgScoped):
    list_display = ("series", "effective_from", "rate_pct", "source", "verification")
    list_filter = ("series",)


@admin.register(FxRate)
class FxRateAdmin(OrgScoped):
    list_display = ("base", "quote", "on", "rate", "source")
    list_filter = ("quote",)
    date_hierarchy = "on"
