"""Payments and credit notes: money that settles invoices.

Several rows may share one id: they are one payment split over the invoices they name (the
payment's amount is their sum), and a row with no invoice_number is spent on the client's
oldest open invoices. Rows that name an invoice are settled first, in file order, then the
others oldest money first; what is left is the client's credit. That order makes an export
import back to the same allocations. A reversed payment (`reversed_on`, `reversal_reason`)
settles nothing: it is one row without an invoice, booked as it was reversed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import F, Model

from arrears.core.parsing import (
    MAX_AMOUNT,
    Invalid,
    parse_amount,
    parse_choice,
    parse_currency,
    parse_ledger_date,
)
from arrears.ledger.models import CreditNote, Invoice, Payment, PaymentMethod
from arrears.ledger.settlement import Settler

from .base import Chunk, Kind, chunked, money_text


@dataclass
class Part:
    line: int
    amount: Decimal
    invoice: Invoice | None


@dataclass
class Group:
    """All the rows of one payment (or credit note) id."""

    line: int
    external_id: str
    client: object
    date: date
    currency: str
    extra: dict[str, object]  # the kind's own columns, parsed
    parts: list[Part] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((p.amount for p in self.parts), Decimal(0))


class _Settlements(Kind):
    model: type[Model]
    id_column: str
    id_field: str
    extra_columns: tuple[str, ...]
    date_column = "date"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups: dict[str, Group] = {}
        self.booked: set[str] = set()  # ids of the file already in the ledger

    def parse_extra(self, line: int, get) -> dict[str, object]:
        return {c: get(c).strip() for c in self.extra_columns}

    def check_row(self, line: int, on: date | None, extra: dict, invoice_number: str) -> None:
        """Problems of a row that its kind's own columns make (recorded with self.problem)."""

    def settles(self, group: Group) -> bool:
        """Whether the group's money is allocated (a reversed payment's is not)."""
        return True

    def parse(self, chunk: Chunk) -> list[Group]:
        rows = chunk.named()
        numbers = {get("invoice_number").strip() for _, get in rows} - {""}
        invoices = {}
        for batch in chunked(sorted(numbers), 500):
            qs = Invoice.objects.for_org(self.org).filter(number__in=batch)
            invoices.update({i.number: i for i in qs})
        ids = sorted({get(self.id_column).strip() for _, get in rows} - {""})
        existing = set()
        for batch in chunked(ids, 500):
            existing |= set(
                self.model.objects.filter(
                    organisation=self.org, **{f"{self.id_field}__in": batch}
                ).values_list(self.id_field, flat=True)
            )
        self.booked |= existing
        for line, get in rows:
            before = len(self.problems)
            ext = self.value(line, get, self.id_column)
            client = self.client(line, get)
            on = self.value(line, get, self.date_column, parse_ledger_date)
            currency = self.value(line, get, "currency", parse_currency, required=False)
            if currency is None and client is not None:
                currency = client.currency
            amount = None
            if currency:
                amount = self.value(line, get, "amount", lambda t, c=currency: parse_amount(t, c))
            extra = self.parse_extra(line, get)
            number = get("invoice_number").strip()
            invoice = None
            if number:
                invoice = invoices.get(number)
                if invoice is None:
                    self.problem(line, "invoice_number", f"unknown invoice {number!r}")
                elif client is not None and invoice.client_id != client.pk:
                    self.problem(
                        line, "invoice_number", f"invoice {number!r} belongs to another client"
                    )
                elif currency and invoice.currency != currency:
                    self.problem(
                        line,
                        "invoice_number",
                        f"invoice {number!r} is in {invoice.currency}, not {currency}",
                    )
            self.check_row(line, on, extra, number)
            if ext is not None and ext in existing and not self.update:
                self.problem(
                    line, self.id_column, f"{ext!r} already exists (use --update to change it)"
                )
            if len(self.problems) != before:
                continue
            group = self.groups.get(ext)
            if group is None:
                group = self.groups[ext] = Group(line, ext, client, on, currency, extra)
            else:
                same = (group.client, group.date, group.currency, group.extra) == (
                    client,
                    on,
                    currency,
                    extra,
                )
                if not same:
                    self.problem(
                        line,
                        self.id_column,
                        f"{ext!r} is also on row {group.line} with another client, date, "
                        f"currency or {'/'.join(self.extra_columns)}",
                    )
                    continue
                if any(p.invoice == invoice for p in group.parts):
                    self.problem(
                        line,
                        "invoice_number",
                        f"{ext!r} names this invoice already on row {group.line}",
                    )
                    continue
            group.parts.append(Part(line, amount, invoice))
            if group.amount >= MAX_AMOUNT:
                self.problem(
                    line, "amount", f"{ext!r} comes to {group.amount}: too large for one payment"
                )
        return []

    def write(self, records) -> None:
        """Everything happens in finish(): a payment's rows may span chunks."""

    def finish(self) -> None:
        groups = list(self.groups.values())
        if not groups:
            return
        current = {
            getattr(o, self.id_field): o
            for batch in chunked([g.external_id for g in groups], 500)
            for o in self.model.objects.filter(
                organisation=self.org, **{f"{self.id_field}__in": batch}
            )
        }
        objects: dict[str, object] = {}
        new = []
        clients = {g.client.pk for g in groups}
        settler = Settler(self.org, clients)
        for g in groups:
            values = {
                "client": g.client,
                "date": g.date,
                "currency": g.currency,
                "amount": g.amount,
                **g.extra,
            }
            obj = current.get(g.external_id)
            if obj is None:
                obj = self.model(organisation=self.org, **{self.id_field: g.external_id}, **values)
                new.append(obj)
            elif self._same(obj, values, g):
                self.counts.unchanged += 1
                continue
            else:
                settler.take_back(obj)  # its invoices owe again; allocated anew below
                for f, v in values.items():
                    setattr(obj, f, v)
                obj.save()
                self.counts.updated += 1
            objects[g.external_id] = obj
        self.model.objects.bulk_create(new, batch_size=2000)
        self.counts.created += len(new)
        work = [g for g in groups if g.external_id in objects and self.settles(g)]
        for g in work:
            for p in g.parts:
                if p.invoice is not None:
                    self._settle(
                        settler,
                        objects[g.external_id],
                        settler.invoices.get(p.invoice.pk),
                        p.amount,
                    )
        for g in sorted(work, key=lambda g: g.date):
            for p in g.parts:
                if p.invoice is None:
                    self._settle(settler, objects[g.external_id], None, p.amount)
        settler.use_credit(clients)
        settler.flush()

    def _same(self, obj, values: dict, group: Group) -> bool:
        if any(getattr(obj, f) != v for f, v in values.items()):
            return False
        named = defaultdict(Decimal)
        for a in obj.allocations.all():
            named[a.invoice_id] += a.amount
        wanted = {p.invoice.pk: p.amount for p in group.parts if p.invoice is not None}
        return all(named.get(pk, Decimal(0)) >= amt for pk, amt in wanted.items())

    def _settle(self, settler: Settler, obj, invoice, amount) -> None:
        raise NotImplementedError

    def export(self):
        qs = (
            self.model.objects.for_org(self.org)
            .select_related("client")
            .prefetch_related("allocations__invoice")
            .order_by("date", self.id_field)
        )
        for obj in qs.iterator(chunk_size=2000):
            base = {
                self.id_column: getattr(obj, self.id_field),
                "client_id": obj.client.external_id,
                self.date_column: obj.date.isoformat(),
                "currency": obj.currency,
                **{c: _cell(getattr(obj, c)) for c in self.extra_columns},
            }
            for a in sorted(obj.allocations.all(), key=lambda a: (a.date, a.pk)):
                yield {
                    **base,
                    "amount": money_text(a.amount, obj.currency),
                    "invoice_number": a.invoice.number,
                }
            left = obj.amount - obj.allocated
            if left > 0:
                yield {**base, "amount": money_text(left, obj.currency), "invoice_number": ""}


def _cell(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


class Payments(_Settlements):
    name = "payments"
    model = Payment
    id_column = "payment_id"
    id_field = "external_id"
    extra_columns = ("reference", "method", "reversed_on", "reversal_reason")
    columns = (
        "payment_id",
        "client_id",
        "date",
        "amount",
        "currency",
        "reference",
        "method",
        "invoice_number",
        "reversed_on",
        "reversal_reason",
    )
    required = frozenset({"payment_id", "client_id", "date", "amount"})
    free_text = frozenset({"reversal_reason"})

    def checked(self) -> None:
        """Typos: a warning names its row and column and refuses the file, unless the import
        says --accept-warnings."""
        super().checked()
        from arrears.ledger.payment_checks import Facts, Incoming, Named, warnings_for
        from arrears.ledger.reports import org_today

        self._check_reversed_ones()

        incoming = [
            Incoming(
                client=g.client,
                external_id=g.external_id,
                on=g.date,
                amount=g.amount,
                currency=g.currency,
                reference=g.extra["reference"],
                invoices=tuple(Named(p.invoice, p.amount, p.line) for p in g.parts if p.invoice),
                line=g.line,
            )
            for g in self.groups.values()
            if g.external_id not in self.booked and self.settles(g)
        ]
        facts = Facts.read(self.org, incoming, org_today(self.org))
        for w in warnings_for(incoming, facts):
            if self.accept_warnings:
                self.notes.append(f"accepted: {w.message}")
            else:
                self.problem(w.line, w.column, f"{w.message} (--accept-warnings to book it)")

    def finish(self) -> None:
        super().finish()
        credit: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for batch in chunked(list(self.groups), 500):
            left = self.model.objects.for_org(self.org).filter(
                **{f"{self.id_field}__in": batch},
                allocated__lt=F("amount"),
                reversed_on__isnull=True,
            )
            for obj in left.select_related("client"):
                credit[obj.client.external_id, obj.currency] += obj.amount - obj.allocated
        for (client, currency), amount in sorted(credit.items()):
            self.notes.append(
                f"client {client}: {money_text(amount, currency)} {currency} left as credit "
                "(paid more than it owed; its next invoices use it)"
            )

    def parse_extra(self, line, get):
        method = get("method").strip()
        if method:
            try:
                parse_choice(method, PaymentMethod.values)
            except Invalid as exc:
                self.problem(line, "method", str(exc))
        reversed_on = self.value(line, get, "reversed_on", parse_ledger_date, required=False)
        reason = get("reversal_reason").strip()
        if get("reversed_on").strip() and not reason:
            self.problem(line, "reversal_reason", "is required when reversed_on is given")
        elif reason and not get("reversed_on").strip():
            self.problem(line, "reversed_on", "is required when reversal_reason is given")
        return {
            "reference": get("reference").strip(),
            "method": method,
            "reversed_on": reversed_on,
            "reversal_reason": reason,
        }

    def check_row(self, line, on, extra, invoice_number) -> None:
        from arrears.ledger.reports import org_today

        reversed_on = extra["reversed_on"]
        if reversed_on is None:
            return
        if invoice_number:
            self.problem(
                line, "invoice_number", "a reversed payment pays no invoice: leave it empty"
            )
        if on is not None and reversed_on < on:
            self.problem(line, "reversed_on", f"{reversed_on} is before the payment's date ({on})")
        if reversed_on > org_today(self.org):
            self.problem(line, "reversed_on", f"{reversed_on} is after today")

    def settles(self, group: Group) -> bool:
        return group.extra["reversed_on"] is None

    def _check_reversed_ones(self) -> None:
        """A payment reversed in the ledger stays as it is: a file may say it again, word for
        word, but not undo or change the reversal (the audit trail keeps it)."""
        ids = [g.external_id for g in self.groups.values() if g.external_id in self.booked]
        for batch in chunked(ids, 500):
            for p in Payment.objects.for_org(self.org).filter(
                external_id__in=batch, reversed_on__isnull=False
            ):
                g = self.groups[p.external_id]
                if g.extra["reversed_on"] is None:
                    self.problem(
                        g.line,
                        "reversed_on",
                        f"payment {p} was reversed on {p.reversed_on}: a reversal is not undone "
                        "(book the money again as a new payment)",
                    )
                elif (g.client, g.date, g.currency, g.amount, g.extra) != (
                    p.client,
                    p.date,
                    p.currency,
                    p.amount,
                    {c: getattr(p, c) for c in self.extra_columns},
                ):
                    self.problem(
                        g.line,
                        self.id_column,
                        f"payment {p} was reversed on {p.reversed_on}: it stays as it is",
                    )

    def _settle(self, settler, obj, invoice, amount) -> None:
        settler.pay(obj, invoice, amount)


class CreditNotes(_Settlements):
    name = "credit-notes"
    model = CreditNote
    id_column = "credit_note_number"
    id_field = "number"
    extra_columns = ("reason",)
    columns = (
        "credit_note_number",
        "client_id",
        "date",
        "amount",
        "currency",
        "reason",
        "invoice_number",
    )
    required = frozenset({"credit_note_number", "client_id", "date", "amount"})
    free_text = frozenset({"reason"})

    def _settle(self, settler, obj, invoice, amount) -> None:
        settler.credit(obj, invoice, amount)
