"""Settling invoices: payments, credit notes, credit and write-offs become allocations, and
a reversed payment gives its allocations back.

`Settler` holds the open invoices of some clients in memory, allocates with the pure rules of
`arrears.core.allocation`, and writes the allocations and the invoices' settled sums in one
go. The single-payment functions and the importers both go through it, so there is one path.
Call it inside `transaction.atomic()`; on PostgreSQL the open invoices are locked
(`SELECT ... FOR UPDATE`) so two writers settle one after the other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from arrears.core import allocation as rules
from arrears.env import ConfigError, env_str
from arrears.ledger.guards import debit_kinds
from arrears.ledger.models import (
    OPEN_STATUSES,
    Allocation,
    AllocationKind,
    Client,
    CreditNote,
    Invoice,
    Organisation,
    Payment,
    derive_status,
)
from arrears.ledger.signals import settled


class SettlementError(ValueError):
    pass


class ReversalError(SettlementError):
    """A reversal refused; `field` is what was wrong with it ("date", "reason"), or None
    when the payment itself cannot be reversed."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TakenBack:
    """What a reversed payment had settled on one invoice, now owed again."""

    invoice: Invoice
    amount: Decimal


@dataclass(frozen=True)
class Reversal:
    payment: Payment
    taken_back: tuple[TakenBack, ...]


def allocation_order() -> tuple[str, ...]:
    """`ARREARS_ALLOCATION_ORDER`, e.g. `interest,fees,principal`: which kind of debit a
    payment settles first (oldest first within a kind, after the invoice the payer named).
    Empty (the default): oldest first, whatever the kind."""
    value = env_str("ARREARS_ALLOCATION_ORDER", "").strip()
    if not value:
        return ()
    try:
        return rules.check_order([v.strip() for v in value.split(",")])
    except ValueError as exc:
        raise ConfigError(f"ARREARS_ALLOCATION_ORDER={value!r}: {exc}") from None


class Settler:
    def __init__(self, organisation: Organisation, client_ids: Iterable[int]):
        self.organisation = organisation
        ids = sorted(set(client_ids))
        qs = Invoice.objects.filter(
            organisation=organisation, client_id__in=ids, status__in=OPEN_STATUSES
        )
        if transaction.get_connection().features.has_select_for_update:
            qs = qs.select_for_update()
        self.invoices: dict[int, Invoice] = {inv.pk: inv for inv in qs}
        self.order = allocation_order()
        self.kinds = debit_kinds(organisation, list(self.invoices)) if self.order else {}
        # client -> currency -> invoice pk -> open item
        self.open: dict[int, dict[str, dict[int, rules.OpenItem]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        for inv in self.invoices.values():
            self.open[inv.client_id][inv.currency][inv.pk] = self._item(inv)
        self.allocations: list[Allocation] = []
        self.reopened: dict[int, Invoice] = {}  # whose allocations were taken back
        self.touched_payments: dict[int, Payment] = {}
        self.touched_notes: dict[int, CreditNote] = {}

    def track(self, invoice: Invoice) -> None:
        """Add an invoice created after the settler was made (an import's new invoices)."""
        if invoice.status in OPEN_STATUSES:
            self.invoices[invoice.pk] = invoice
            if self.order:
                self.kinds.update(debit_kinds(self.organisation, [invoice.pk]))
            self.open[invoice.client_id][invoice.currency][invoice.pk] = self._item(invoice)

    def _item(self, inv: Invoice) -> rules.OpenItem:
        return rules.OpenItem(
            inv.pk,
            inv.due_date,
            inv.issue_date,
            inv.number,
            inv.outstanding,
            self.kinds.get(inv.pk, "principal"),
        )

    def _spread(self, client_id, currency, amount, named, on, kind, **source) -> Decimal:
        items = self.open[client_id][currency]
        result = rules.allocate(amount, items.values(), named=named, order=self.order)
        rules.settle(items, result)
        for part in result.parts:
            inv = self.invoices[part.key]
            setattr(inv, _FIELD[kind], getattr(inv, _FIELD[kind]) + part.amount)
            self.allocations.append(
                Allocation(
                    organisation=self.organisation,
                    invoice=inv,
                    kind=kind,
                    date=max(on, inv.issue_date),
                    amount=part.amount,
                    **source,
                )
            )
            if items[part.key].outstanding == 0:
                del items[part.key]
        return result.allocated

    def pay(
        self, payment: Payment, named: Invoice | None = None, amount: Decimal | None = None
    ) -> Decimal:
        """Allocate `amount` (default: what is left) of a saved payment: the named invoice
        first, then oldest first. Returns the amount allocated now."""
        taken = self._use(payment, named, amount, AllocationKind.PAYMENT, payment=payment)
        self.touched_payments[payment.pk] = payment
        return taken

    def credit(
        self, note: CreditNote, named: Invoice | None = None, amount: Decimal | None = None
    ) -> Decimal:
        """The same for a credit note."""
        taken = self._use(note, named, amount, AllocationKind.CREDIT_NOTE, credit_note=note)
        self.touched_notes[note.pk] = note
        return taken

    def take_back(self, source: Payment | CreditNote) -> list[TakenBack]:
        """Remove a payment's or credit note's allocations (a reversal; an import that changes
        it): their invoices owe those amounts again, and are open to what this settler
        allocates next. Call it before allocating anything of `source`."""
        allocations = list(source.allocations.order_by("date", "pk"))
        if not allocations:
            return []
        paid_ones = {a.invoice_id for a in allocations} - set(self.invoices)
        if paid_ones:  # closed invoices are not held yet
            qs = Invoice.objects.filter(pk__in=paid_ones)
            if transaction.get_connection().features.has_select_for_update:
                qs = qs.select_for_update()
            self.invoices.update({inv.pk: inv for inv in qs})
            if self.order:
                self.kinds.update(debit_kinds(self.organisation, list(paid_ones)))
        is_payment = isinstance(source, Payment)
        field = _FIELD[AllocationKind.PAYMENT if is_payment else AllocationKind.CREDIT_NOTE]
        back = []
        for a in allocations:
            inv = self.invoices[a.invoice_id]
            setattr(inv, field, getattr(inv, field) - a.amount)
            self.open[inv.client_id][inv.currency][inv.pk] = self._item(inv)
            self.reopened[inv.pk] = inv
            back.append(TakenBack(inv, a.amount))
        Allocation.objects.filter(pk__in=[a.pk for a in allocations]).delete()
        source.allocated -= sum((a.amount for a in allocations), Decimal(0))
        if is_payment:
            self.touched_payments[source.pk] = source
        else:
            self.touched_notes[source.pk] = source
        return back

    def _use(self, source, named, amount, kind, **link) -> Decimal:
        if getattr(source, "reversed_on", None) is not None:
            raise SettlementError(
                f"payment {source} was reversed on {source.reversed_on}: it settles nothing"
            )
        if named is not None:
            _check_named(named, source.client_id, source.currency)
        left = source.amount - source.allocated
        wanted = left if amount is None else min(amount, left)
        named_pk = named.pk if named is not None else None
        taken = self._spread(
            source.client_id, source.currency, wanted, named_pk, source.date, kind, **link
        )
        source.allocated += taken
        return taken

    def use_credit(self, client_ids: Iterable[int]) -> None:
        """Spend the clients' unallocated payments and credit notes on their open invoices,
        oldest money first."""
        ids = list(client_ids)
        for p in Payment.objects.filter(
            organisation=self.organisation,
            client_id__in=ids,
            allocated__lt=F("amount"),
            reversed_on__isnull=True,  # a reversed payment is nobody's credit
        ).order_by("date", "pk"):
            self.pay(self.touched_payments.get(p.pk, p))
        for n in CreditNote.objects.filter(
            organisation=self.organisation, client_id__in=ids, allocated__lt=F("amount")
        ).order_by("date", "pk"):
            self.credit(self.touched_notes.get(n.pk, n))

    def flush(self) -> None:
        """Write the allocations and the new settled sums and statuses."""
        Allocation.objects.bulk_create(self.allocations, batch_size=2000)
        changed = {**self.reopened, **{a.invoice_id: a.invoice for a in self.allocations}}
        for inv in changed.values():
            inv.status = derive_status(inv.total, inv.paid, inv.credited, inv.written_off)
        Invoice.objects.bulk_update(
            list(changed.values()), ["paid", "credited", "written_off", "status"], batch_size=2000
        )
        Payment.objects.bulk_update(
            list(self.touched_payments.values()), ["allocated"], batch_size=2000
        )
        CreditNote.objects.bulk_update(
            list(self.touched_notes.values()), ["allocated"], batch_size=2000
        )
        if changed:
            settled.send(Settler, organisation=self.organisation, invoices=list(changed.values()))
        self.allocations = []
        self.reopened = {}
        self.touched_payments = {}
        self.touched_notes = {}


_FIELD = {
    AllocationKind.PAYMENT: "paid",
    AllocationKind.CREDIT_NOTE: "credited",
    AllocationKind.WRITE_OFF: "written_off",
}


def _check_named(invoice: Invoice, client_id: int, currency: str) -> None:
    if invoice.client_id != client_id:
        raise SettlementError(f"invoice {invoice.number} belongs to another client")
    if invoice.currency != currency:
        raise SettlementError(
            f"invoice {invoice.number} is in {invoice.currency}, the payment in {currency}"
        )


def record_payment(
    organisation: Organisation,
    client: Client,
    *,
    external_id: str,
    on: date,
    amount: Decimal,
    currency: str,
    reference: str = "",
    method: str = "",
    invoice: Invoice | None = None,
) -> Payment:
    """Record money received and allocate it: the named invoice, then oldest first; the rest
    stays as the client's credit."""
    with transaction.atomic():
        payment = Payment.objects.create(
            organisation=organisation,
            client=client,
            external_id=external_id,
            date=on,
            amount=amount,
            currency=currency,
            reference=reference,
            method=method,
        )
        settler = Settler(organisation, [client.pk])
        named = settler.invoices.get(invoice.pk) if invoice is not None else None
        if invoice is not None and named is None:
            _check_named(invoice, client.pk, currency)  # a clearer error for another client's
        settler.pay(payment, named)
        settler.flush()
    return payment


def issue_credit_note(
    organisation: Organisation,
    client: Client,
    *,
    number: str | None,
    on: date,
    amount: Decimal,
    currency: str,
    reason: str = "",
    invoice: Invoice | None = None,
) -> CreditNote:
    """Issue a credit note and allocate it (the named invoice first). Without a `number`, the
    next free one for the invoice: `CN-<invoice>`, then `CN-<invoice>-2`, `-3`... allocated
    safely when several commands issue credit notes at once. A `number` that exists is a
    SettlementError."""
    with transaction.atomic():
        if invoice is not None and transaction.get_connection().features.has_select_for_update:
            # one credit note at a time per invoice: the next number is read after the other
            # writer's commit (SQLite's writers queue at BEGIN IMMEDIATE already)
            Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
        note = _new_credit_note(
            organisation,
            number,
            f"CN-{invoice.number}" if invoice is not None else "CN",
            client=client,
            date=on,
            amount=amount,
            currency=currency,
            reason=reason,
        )
        settler = Settler(organisation, [client.pk])
        named = settler.invoices.get(invoice.pk) if invoice is not None else None
        if invoice is not None and named is None:
            _check_named(invoice, client.pk, currency)
        settler.credit(note, named)
        settler.flush()
    return note


def _new_credit_note(organisation, number: str | None, base: str, **values) -> CreditNote:
    """Insert the note under `number`, or the first free number of the `base` series; a
    number another writer took meanwhile is passed over (in a savepoint)."""
    notes = CreditNote.objects.for_org(organisation)
    for _attempt in range(20):
        wanted = number or _next_number(organisation, base)
        try:
            with transaction.atomic():
                return CreditNote.objects.create(organisation=organisation, number=wanted, **values)
        except IntegrityError:
            if not notes.filter(number=wanted).exists():
                raise  # another rule broken: not the number's
            if number is not None:
                raise SettlementError(
                    f"credit note {number} already exists: give another --number, or none "
                    "for the next free one"
                ) from None
    raise SettlementError(f"no free credit note number after {base}: give one with --number")


def _next_number(organisation, base: str) -> str:
    taken = set(
        CreditNote.objects.for_org(organisation)
        .filter(Q(number=base) | Q(number__startswith=f"{base}-"))
        .values_list("number", flat=True)
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def write_off(
    invoice: Invoice, *, on: date, reason: str, amount: Decimal | None = None
) -> Allocation:
    """Give up on (part of) what an invoice still owes; the reason is kept with it."""
    if not reason.strip():
        raise SettlementError("a write-off needs a reason")
    with transaction.atomic():
        inv = Invoice.objects.select_for_update().get(pk=invoice.pk)
        amount = inv.outstanding if amount is None else amount
        if amount <= 0 or amount > inv.outstanding:
            raise SettlementError(
                f"invoice {inv.number}: can write off between 0 and {inv.outstanding}, not {amount}"
            )
        inv.written_off += amount
        inv.status = inv.derive_status()
        inv.save(update_fields=["written_off", "status"])
        return Allocation.objects.create(
            organisation=inv.organisation,
            invoice=inv,
            kind=AllocationKind.WRITE_OFF,
            date=max(on, inv.issue_date),
            amount=amount,
            reason=reason,
        )


def reverse_payment(
    organisation: Organisation, external_id: str, *, on: date, reason: str
) -> Reversal:
    """Reverse a payment that did not stay (a cheque that bounced, a direct debit recalled,
    money booked to the wrong client): its allocations are taken back, so its invoices owe
    again (the `settled` signal tells the plans and levers, and the ladder resumes for them on
    the next run); the client's credit, if any, is spent on them as an import would; the
    payment keeps the day and the reason, and settles nothing any more. One transaction:
    refused (ReversalError), nothing changes."""
    from arrears.ledger.reports import org_today

    if not reason.strip():
        raise ReversalError("say why the payment is reversed", "reason")
    with transaction.atomic():
        found = Payment.objects.filter(organisation=organisation, external_id=external_id)
        if transaction.get_connection().features.has_select_for_update:
            found = found.select_for_update()  # two reversals of one payment: one wins
        payment = found.first()
        if payment is None:
            raise ReversalError(f"no payment {external_id!r}")
        if payment.reversed_on is not None:
            raise ReversalError(
                f"payment {payment} was reversed on {payment.reversed_on} already "
                f"({payment.reversal_reason})"
            )
        if on < payment.date:
            raise ReversalError(
                f"{on} is before payment {payment} was received ({payment.date})", "date"
            )
        today = org_today(organisation)
        if on > today:
            raise ReversalError(
                f"{on} is after today ({today}): a payment is reversed on the day it was "
                "taken back",
                "date",
            )
        settler = Settler(organisation, [payment.client_id])
        back = settler.take_back(payment)
        payment.reversed_on, payment.reversal_reason = on, reason.strip()
        payment.save(update_fields=["allocated", "reversed_on", "reversal_reason"])
        settler.use_credit([payment.client_id])
        settler.flush()
    return Reversal(payment, tuple(back))
