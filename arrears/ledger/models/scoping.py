"""Every ledger row belongs to one organisation; every query names it.

A row is checked as the importers check a file (`clean_fields`, which every form runs, the
admin's included, whatever the browser posted): it points only at rows of its own organisation,
its text has no control characters, its dates are within the ledger's window, and its amounts
fit the ledger and the currency's minor unit."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models

from arrears.core.money import minor_units
from arrears.core.parsing import (
    Invalid,
    check_amount_size,
    check_ledger_date,
    check_text,
    parse_currency,
)
from arrears.ledger.fields import FixedDecimalField


class OrgQuerySet(models.QuerySet):
    def for_org(self, organisation):
        return self.filter(organisation=organisation)


def field_problem(row: models.Model, field: models.Field) -> str | None:
    """Why the value of `field` on `row` cannot be kept, or None."""
    value = getattr(row, field.attname)
    if value is None or value == "":
        return None
    try:
        if isinstance(field, models.ForeignKey):
            return _other_organisation(row, field)
        if isinstance(field, (models.CharField, models.TextField)) and isinstance(value, str):
            check_text(value, free=isinstance(field, models.TextField))
            if field.name == "currency":
                parse_currency(value)
        elif isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            check_ledger_date(value)
        elif isinstance(field, FixedDecimalField) and isinstance(value, Decimal):
            check_amount_size(value)
            _check_minor_unit(row, field, value)
    except Invalid as exc:
        return str(exc)
    return None


def _other_organisation(row, field) -> str | None:
    """A row of another organisation than this one's (a forged form, a user in two)."""
    own = getattr(row, "organisation_id", None)
    target = field.related_model
    if own is None:
        return None
    if target is get_user_model():  # a person who recorded or approved something
        from .organisation import Membership

        user = getattr(row, field.attname)
        if (
            row.pk is not None
            and type(row)._default_manager.filter(pk=row.pk, **{field.attname: user}).exists()
        ):
            return None  # as it was: a person who has left since stays on the record
        member = Membership.objects.filter(user_id=user, organisation_id=own)
        return None if member.exists() else "this user is not a member of the organisation"
    if not any(f.name == "organisation" for f in target._meta.concrete_fields):
        return None
    theirs = (
        target._default_manager.filter(pk=getattr(row, field.attname))
        .values_list("organisation_id", flat=True)
        .first()
    )
    if theirs is not None and theirs != own:
        return f"this {target._meta.verbose_name} belongs to another organisation"
    return None


def _check_minor_unit(row, field, value: Decimal) -> None:
    """Money on a row with a currency has no more decimals than the currency (12.345 GBP)."""
    currency = getattr(row, "currency", "")
    if field.decimal_places != 4 or not isinstance(currency, str) or len(currency) != 3:
        return
    try:
        places = minor_units(currency)
    except Exception:  # an unknown currency is reported on its own field
        return
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise Invalid(f"{value} has more decimals than {currency} has ({places})")


def check_fields(row: models.Model, exclude) -> None:
    """Run Django's field checks, then the ledger's, on the fields a form shows."""
    errors: dict = {}
    try:
        models.Model.clean_fields(row, exclude=exclude)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    skip = set(exclude or ())
    for field in row._meta.concrete_fields:
        if field.name in skip or field.name in errors:
            continue
        why = field_problem(row, field)
        if why:
            errors[field.name] = [why]
    if errors:
        raise ValidationError(errors)


class OrgModel(models.Model):
    organisation = models.ForeignKey(
        "ledger.Organisation", on_delete=models.CASCADE, related_name="+"
    )

    objects = OrgQuerySet.as_manager()

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        check_fields(self, exclude)
