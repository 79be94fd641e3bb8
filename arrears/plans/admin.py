"""Payment plans in the admin, to look at: they are drafted, accepted and voided through the
rules (`arrears plan-offer`, `plan-accept`, `plan-void`), never edited by hand, so that the
instalments always add up to the plan's total."""

from django.contrib import admin

from arrears.core.money import format_money
from arrears.ledger.admin import OrgScoped, member_orgs

from .models import Instalment, PaymentPlan


class InstalmentInline(admin.TabularInline):
    model = Instalment
    fields = ("number", "due_date", "amount_due", "paid_so_far")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True  # shown only inside a plan the user may view

    @admin.display(description="amount")
    def amount_due(self, obj):
        return format_money(obj.amount, obj.plan.currency)

    @admin.display(description="paid")
    def paid_so_far(self, obj):
        return format_money(obj.paid, obj.plan.currency)


@admin.register(PaymentPlan)
class PaymentPlanAdmin(OrgScoped):
    list_display = ("label", "client", "status", "total_due", "first_date", "on_miss")
    exclude = ("total",)
    readonly_fields = ("total_due",)
    list_filter = ("status", "on_miss")
    search_fields = ("client__external_id", "client__name", "invoices__number")
    inlines = [InstalmentInline]

    @admin.display(description="total")
    def total_due(self, obj):
        return format_money(obj.total, obj.currency)

    def has_view_permission(self, request, obj=None):
        # every member of an organisation may look at its plans (the rows are scoped)
        user = request.user
        return user.is_active and (
            user.is_superuser or (user.is_staff and bool(member_orgs(request)))
        )

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
