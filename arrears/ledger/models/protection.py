"""Money records that other records depend on are never deleted, from any surface.

An invoice that was paid, credited, written off, charged, messaged about, promised, disputed,
billed for time or put in a plan, and a payment or credit note that settled an invoice, stay:
they are corrected the way accountants correct them (a credit note, a write-off, a reversal of
the payment), each in the audit trail; a reversed payment stays too, as the trail of its
reversal. The rule is a `pre_delete` receiver, so it holds for
`obj.delete()`, a queryset's `delete()` (the admin's bulk action) and any cascade alike.
"""

from __future__ import annotations

from django.db.models import ProtectedError
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from .invoice import Invoice
from .payment import CreditNote, Payment

CORRECTIONS = {
    Invoice: "issue a credit note (arrears credit-note) or write it off (arrears write-off) "
    "instead",
    Payment: "reverse it instead (arrears reverse-payment {obj} --reason WHY), then book the "
    "money as it came",
    CreditNote: "bill the amount again with an invoice instead",
}

# The parts a record is made of, deleted with it: not records that depend on it.
_PARTS = {("ledger", "invoiceline")}


def dependents(obj) -> dict[str, int]:
    """What depends on `obj`, as {plural name: how many}, for the record kinds above."""
    found: dict[str, int] = {}
    for rel in obj._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.many_to_many)):
            continue
        model = rel.related_model
        if model._meta.auto_created or (model._meta.app_label, model._meta.model_name) in _PARTS:
            continue  # a many-to-many's own table is counted through the relation itself
        if type(obj) is Payment and rel.field.name != "payment":
            continue  # a payment's only dependents are its allocations
        if type(obj) is CreditNote and rel.field.name != "credit_note":
            continue
        n = model._base_manager.filter(**{rel.field.name: obj}).count()
        if n:
            name = model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural
            found[str(name)] = found.get(str(name), 0) + n
    return found


def deletion_refused(obj) -> str | None:
    """Why `obj` may not be deleted, in words, or None."""
    if type(obj) not in CORRECTIONS:
        return None
    kind = type(obj)._meta.verbose_name
    if type(obj) is Payment and obj.reversed_on is not None:
        return (
            f"{kind} {obj} cannot be deleted: it was reversed on {obj.reversed_on} "
            f"({obj.reversal_reason}), and stays as the record of it"
        )
    found = dependents(obj)
    if not found:
        return None
    what = ", ".join(f"{n} {name}" for name, n in sorted(found.items()))
    return (
        f"{kind} {obj} cannot be deleted: it has {what}; {CORRECTIONS[type(obj)].format(obj=obj)}"
    )


@receiver(pre_delete, sender=Invoice, dispatch_uid="ledger.protect_invoice")
@receiver(pre_delete, sender=Payment, dispatch_uid="ledger.protect_payment")
@receiver(pre_delete, sender=CreditNote, dispatch_uid="ledger.protect_credit_note")
def _protect(sender, instance, **kwargs) -> None:
    why = deletion_refused(instance)
    if why:
        raise ProtectedError(why, [instance])
