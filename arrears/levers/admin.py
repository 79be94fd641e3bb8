"""The levers in the staff admin: levels and their history, hooks and their runs (read-only),
escrow by name and state only (the encrypted secret is never shown)."""

from django.contrib import admin

from arrears.ledger.admin import OrgScoped
from arrears.levers.models import Escrow, Hook, HookRun, LevelChange, ServiceLevel


class ReadOnly(OrgScoped):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the history and the hooks' log are the audit trail


@admin.register(ServiceLevel)
class ServiceLevelAdmin(ReadOnly):
    list_display = ("client", "level", "episode", "since")
    list_filter = ("level",)
    search_fields = ("client__name", "client__external_id")


@admin.register(LevelChange)
class LevelChangeAdmin(ReadOnly):
    list_display = ("at", "client", "from_level", "to_level", "by", "reason")
    list_filter = ("to_level",)
    search_fields = ("client__name", "reason", "by_step")


@admin.register(Hook)
class HookAdmin(ReadOnly):
    list_display = ("name", "kind", "client", "events", "enabled")
    exclude = ("settings",)  # a webhook's signing secret lives there (encrypted)


@admin.register(HookRun)
class HookRunAdmin(ReadOnly):
    list_display = ("started_at", "key", "attempt", "outcome", "exit_status", "http_status")
    list_filter = ("outcome",)
    search_fields = ("key",)


@admin.register(Escrow)
class EscrowAdmin(ReadOnly):
    list_display = ("client", "name", "withheld", "updated_at")
    exclude = ("token",)
