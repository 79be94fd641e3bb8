"""Settling invoices: payments, credit notes, credit and write-offs become allocations.

`Settler` holds the open invoices of some clients in memory, allocates with the pure rules of
`arrears.core.allocation`, and writes the allocations and the invoices' settled sums in one
go. The single-payment functions and the importers both go through it, so there is one path.
Call it inside `transaction.atomic()`; on PostgreSQL the open invoices are locked
(`SELECT ... FOR UPDATE`) so two writers settle one after the other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
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

    def _use(self, source, named, amount, kind, **link) -> Decimal:
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
            organisation=self.organisation, client_id__in=ids, allocated__lt=F("amount")
        ).order_by("date", "pk"):
            self.pay(self.touched_payments.get(p.pk, p))
        for n in CreditNote.objects.filter(
            organisation=self.organisation, client_id__in=ids, allocated__lt=F("amount")
        ).order_by("date", "pk"):
            self.credit(self.touched_notes.get(n.pk, n))

    def flush(self) -> None:
        """Write the allocations and the new settled sums and statuses."""
        Allocation.objects.bulk_create(self.allocations, batch_size=2000)
        changed = {a.invoice_id: a.invoice for a in self.allocations}
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


def undo_payment(payment: Payment) -> set[int]:
    """Remove a payment's allocations and give the invoices their balance back (for an import
    with --update that changes a payment). Returns the invoices touched."""
    touched: set[int] = set()
    for a in payment.allocations.select_related("invoice"):
        inv = a.invoice
        inv.paid -= a.amount
        inv.status = inv.derive_status()
        inv.save(update_fields=["paid", "status"])
        touched.add(inv.pk)
    payment.allocations.all().delete()
    payment.allocated = Decimal(0)
    payment.save(update_fields=["allocated"])
    return touched
