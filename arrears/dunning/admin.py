from django.contrib import admin

from arrears.dunning.models import Dispute, Promise
from arrears.ledger.admin import OrgScoped


@admin.register(Dispute)
class DisputeAdmin(OrgScoped):
    list_display = ("invoice", "reason", "opened_on", "resolved_on")
    list_filter = ("reason",)
    search_fields = ("invoice__number", "note")


@admin.register(Promise)
class PromiseAdmin(OrgScoped):
    list_display = ("invoice", "until", "status", "made_on")
    list_filter = ("status",)
    search_fields = ("invoice__number", "note")
