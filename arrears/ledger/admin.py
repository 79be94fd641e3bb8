"""Django's admin for the ledger, scoped: staff see and choose only their organisations' rows."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from arrears.ledger.models import (
    Allocation,
    Client,
    Contact,
    ContactRoleAssignment,
    Contract,
    CreditNote,
    Document,
    Invoice,
    InvoiceLine,
    Membership,
    Organisation,
    Payment,
    Role,
    TimeEntry,
)
from arrears.ledger.models.protection import deletion_refused
from arrears.ledger.settlement import Settler


def member_orgs(request) -> list[int]:
    if not hasattr(request, "_arrears_orgs"):
        request._arrears_orgs = list(
            Membership.objects.filter(user=request.user).values_list("organisation_id", flat=True)
        )
    return request._arrears_orgs


class OrgScoped(admin.ModelAdmin):
    """Rows of the user's organisations only. A row's foreign keys offer only its own
    organisation's rows (a new row's: the user's organisations), and the model refuses a save
    that points at another organisation's row, whatever the form posted. A new row belongs to
    the user's organisation when there is just one."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(organisation__in=member_orgs(request))

    def get_form(self, request, obj=None, change=False, **kwargs):
        request._arrears_row_org = getattr(obj, "organisation_id", None)
        form = super().get_form(request, obj, change, **kwargs)
        orgs = member_orgs(request)
        if obj is not None or request.user.is_superuser or len(orgs) != 1:
            return form

        class NewRowForm(form):
            """The row's organisation is known before the checks run (they compare it with
            the organisation of every row it points at)."""

            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                if self.instance.organisation_id is None:
                    self.instance.organisation_id = orgs[0]

        NewRowForm.__name__ = form.__name__
        return NewRowForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.related_model
        row_org = getattr(request, "_arrears_row_org", None)
        if model is get_user_model():  # the people of the row's organisation only
            orgs = [row_org] if row_org is not None else member_orgs(request)
            if row_org is not None or not request.user.is_superuser:
                kwargs["queryset"] = model._default_manager.filter(
                    memberships__organisation__in=orgs
                ).distinct()
        elif model is Organisation:
            if not request.user.is_superuser:
                kwargs["queryset"] = Organisation.objects.filter(pk__in=member_orgs(request))
        elif any(f.name == "organisation" for f in model._meta.fields):
            if row_org is not None:
                kwargs["queryset"] = model._default_manager.filter(organisation_id=row_org)
            elif not request.user.is_superuser:
                kwargs["queryset"] = model._default_manager.filter(
                    organisation__in=member_orgs(request)
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_deleted_objects(self, objs, request):
        """Money records others depend on are never deleted: they are listed as protected,
        with the correction to make instead."""
        deleted, counts, perms, protected = super().get_deleted_objects(objs, request)
        refusals = [why for why in map(deletion_refused, objs) if why]
        return deleted, counts, perms, [*protected, *refusals]

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if len(member_orgs(request)) == 1 and not request.user.is_superuser:
            exclude.append("organisation")
        return exclude

    def save_model(self, request, obj, form, change):
        if not change and not obj.organisation_id:
            obj.organisation_id = member_orgs(request)[0]
        super().save_model(request, obj, form, change)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("name", "email")
    show_change_link = True


@admin.register(Client)
class ClientAdmin(OrgScoped):
    list_display = ("external_id", "name", "country", "currency", "timezone", "sales_owner_email")
    list_filter = ("currency", "country")
    search_fields = ("external_id", "name")
    inlines = [ContactInline]

    def save_formset(self, request, form, formset, change):
        for inline in formset.save(commit=False):
            inline.organisation_id = form.instance.organisation_id
            inline.save()
        formset.save_m2m()
        for gone in formset.deleted_objects:
            gone.delete()


class RoleInline(admin.TabularInline):
    model = ContactRoleAssignment
    extra = 1


@admin.register(Contact)
class ContactAdmin(OrgScoped):
    list_display = ("email", "name", "client", "role_list")
    search_fields = ("email", "name", "client__name")
    inlines = [RoleInline]

    @admin.display(description="roles")
    def role_list(self, obj):
        return ", ".join(obj.roles)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("client").prefetch_related("role_set")


@admin.register(Contract)
class ContractAdmin(OrgScoped):
    list_display = (
        "external_id",
        "client",
        "engagement",
        "payment_terms_days",
        "stop_work_clause",
        "suspension_rights_clause",
        "governing_law",
    )
    list_filter = ("engagement", "stop_work_clause", "suspension_rights_clause")
    search_fields = ("external_id", "client__name")


class LineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0


class AllocationInline(ReadOnlyInline):
    model = Allocation
    fields = ("date", "kind", "amount", "payment", "credit_note", "reason")


class InvoiceForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = (
            "organisation",
            "client",
            "contract",
            "number",
            "issue_date",
            "due_date",
            "currency",
            "total",
            "po_number",
            "approver_email",
            "description",
        )

    def clean(self):
        data = super().clean()
        inv = self.instance
        settled = inv.paid + inv.credited + inv.written_off
        if data.get("total") is not None and data["total"] < settled:
            raise ValidationError(f"The total cannot be below the {settled} already settled.")
        if (
            data.get("due_date")
            and data.get("issue_date")
            and data["due_date"] < data["issue_date"]
        ):
            raise ValidationError("The due date is before the issue date.")
        return data


@admin.register(Invoice)
class InvoiceAdmin(OrgScoped):
    form = InvoiceForm
    list_display = (
        "number",
        "client",
        "issue_date",
        "due_date",
        "currency",
        "total",
        "outstanding",
        "status",
    )
    list_filter = ("status", "currency")
    search_fields = ("number", "client__name", "po_number")
    date_hierarchy = "due_date"
    readonly_fields = ("paid", "credited", "written_off", "status")
    inlines = [LineInline, AllocationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("client")

    def save_model(self, request, obj, form, change):
        obj.status = obj.derive_status()
        super().save_model(request, obj, form, change)


class _SettlesOnAdd(OrgScoped):
    """A payment or credit note added here is allocated like one imported: oldest first."""

    readonly_fields = ("allocated",)
    inlines = [AllocationInline]

    def get_readonly_fields(self, request, obj=None):
        fixed = ("client", "amount", "currency", "date") if obj is not None else ()
        return (*self.readonly_fields, *fixed)

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if not change:
                settler = Settler(obj.organisation, [obj.client_id])
                self.settle(settler, obj)
                settler.flush()


class PaymentForm(forms.ModelForm):
    """A new payment that looks like a typo (more than the client owes, the same as one
    booked, dated after today) is refused until "book it anyway" is ticked, as `arrears pay`
    refuses it until confirmed."""

    book_anyway = forms.BooleanField(
        required=False,
        label="Book it anyway",
        help_text="Confirm a payment that looks like a typo (the warnings say why).",
    )

    class Meta:
        model = Payment
        fields = (
            "organisation",
            "client",
            "external_id",
            "date",
            "amount",
            "currency",
            "reference",
            "method",
        )

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None or self.errors or data.get("book_anyway"):
            return data
        from arrears.ledger.payment_checks import Facts, Incoming, warnings_for
        from arrears.ledger.reports import org_today

        org = (
            data.get("organisation")
            or Organisation.objects.filter(pk=self.instance.organisation_id).first()
        )
        if org is None:
            return data
        incoming = Incoming(
            client=data["client"],
            external_id=data["external_id"],
            on=data["date"],
            amount=data["amount"],
            currency=data["currency"],
            reference=data.get("reference") or "",
        )
        found = warnings_for([incoming], Facts.read(org, [incoming], org_today(org)))
        if found:
            raise ValidationError(
                [w.message for w in found] + ["Tick “Book it anyway” to book it as it is."]
            )
        return data


class ReverseForm(ActionForm):
    """The action bar's reason, for "Reverse the selected payments"."""

    reason = forms.CharField(required=False, label="Reason", max_length=2000)


@admin.register(Payment)
class PaymentAdmin(_SettlesOnAdd):
    form = PaymentForm
    action_form = ReverseForm
    actions = ["reverse_payments"]
    list_display = (
        "external_id",
        "client",
        "date",
        "amount",
        "currency",
        "allocated",
        "method",
        "reversed_on",
    )
    list_filter = ("currency", "method")
    search_fields = ("external_id", "reference", "client__name")
    readonly_fields = ("allocated", "reversed_on", "reversal_reason")

    def settle(self, settler, obj):
        settler.pay(obj)

    @admin.action(
        description="Reverse the selected payments today (give the reason)", permissions=["change"]
    )
    def reverse_payments(self, request, queryset):
        """As `arrears reverse-payment`: each one on its own, today in its organisation."""
        from arrears.core.parsing import Invalid, check_text
        from arrears.ledger.reports import org_today
        from arrears.ledger.settlement import ReversalError, reverse_payment

        reason = request.POST.get("reason", "")
        try:
            check_text(reason, free=True)
        except Invalid as exc:
            self.message_user(request, f"Reason: {exc}", messages.ERROR)
            return
        for p in queryset.select_related("organisation").order_by("date", "pk"):
            try:
                done = reverse_payment(
                    p.organisation, p.external_id, on=org_today(p.organisation), reason=reason
                )
            except ReversalError as exc:
                self.message_user(request, f"Payment {p}: {exc}", messages.ERROR)
                continue
            owed = ", ".join(t.invoice.number for t in done.taken_back) or "no invoice"
            self.message_user(request, f"Payment {p} reversed; owed again: {owed}.")


@admin.register(CreditNote)
class CreditNoteAdmin(_SettlesOnAdd):
    list_display = ("number", "client", "date", "amount", "currency", "allocated")
    search_fields = ("number", "client__name")

    def settle(self, settler, obj):
        settler.credit(obj)


class TimeEntryForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        client = data.get("client")
        if client is not None and self.instance.pk is None:  # a new entry; edits pass
            from arrears.ledger.guards import refused_time

            why = refused_time(client.organisation, {client.pk}).get(client.pk)
            if why:
                hint = "log incident work with `arrears import time-entries FILE --override WHY`"
                raise ValidationError({"client": f"{why} ({hint})"})
        return data


@admin.register(TimeEntry)
class TimeEntryAdmin(OrgScoped):
    form = TimeEntryForm
    list_display = ("date", "client", "person", "hours", "bill_rate", "cost_rate", "invoice")
    list_filter = ("person",)
    search_fields = ("person", "client__name", "description")
    date_hierarchy = "date"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("client", "invoice")


@admin.register(Document)
class DocumentAdmin(OrgScoped):
    list_display = ("title", "client", "kind", "sha256", "uploaded_at")
    readonly_fields = ("sha256", "size")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "base_currency", "timezone", "daily_run_hour")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(pk__in=member_orgs(request))

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        if obj is None:
            return super().has_change_permission(request, obj)
        return Membership.objects.filter(
            organisation=obj, user=request.user, role=Role.OWNER
        ).exists()

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
