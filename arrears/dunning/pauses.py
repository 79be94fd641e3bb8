"""What pauses the ladder for an invoice: a promise to pay, a dispute."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from arrears.dunning.models import Dispute, DisputeReason, Promise, PromiseStatus
from arrears.ledger.models import OPEN_STATUSES, Invoice


class PauseError(ValueError):
    pass


def promise(invoice: Invoice, until: date, *, today: date, note: str = "", by=None) -> Promise:
    """Record that the client will pay by `until`; replaces an earlier promise still active."""
    if invoice.status not in OPEN_STATUSES:
        raise PauseError(
            f"invoice {invoice.number} is {invoice.get_status_display().lower()}: nothing to promise"
        )
    if until < today:
        raise PauseError(f"the promised date {until} is in the past")
    with transaction.atomic():
        Promise.objects.filter(invoice=invoice, status=PromiseStatus.ACTIVE).update(
            status=PromiseStatus.WITHDRAWN, closed_on=today
        )
        return Promise.objects.create(
            organisation_id=invoice.organisation_id,
            invoice=invoice,
            until=until,
            note=note,
            made_on=today,
            recorded_by=by,
        )


def dispute(invoice: Invoice, reason: str, *, today: date, note: str = "", by=None) -> Dispute:
    if reason not in DisputeReason.values:
        raise PauseError(f"{reason!r}: the reason is one of {', '.join(DisputeReason.values)}")
    if invoice.status not in OPEN_STATUSES:
        raise PauseError(
            f"invoice {invoice.number} is {invoice.get_status_display().lower()}: nothing to dispute"
        )
    if Dispute.objects.filter(invoice=invoice, resolved_on__isnull=True).exists():
        raise PauseError(f"invoice {invoice.number} is already disputed")
    return Dispute.objects.create(
        organisation_id=invoice.organisation_id,
        invoice=invoice,
        reason=reason,
        note=note,
        opened_on=today,
        opened_by=by,
    )


def resolve(invoice: Invoice, *, today: date, note: str = "") -> Dispute:
    found = Dispute.objects.filter(invoice=invoice, resolved_on__isnull=True).first()
    if found is None:
        raise PauseError(f"invoice {invoice.number} has no open dispute")
    found.resolved_on = today
    found.resolution = note
    found.save(update_fields=["resolved_on", "resolution"])
    return found
