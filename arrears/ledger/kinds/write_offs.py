"""Write-offs: the part of an invoice the organisation gave up on, with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from arrears.core.parsing import parse_amount, parse_ledger_date
from arrears.ledger.models import Allocation, AllocationKind, Invoice, derive_status

from .base import Chunk, Kind, chunked, money_text, once


@dataclass
class WriteOffRecord:
    line: int
    invoice: Invoice
    date: date
    amount: Decimal
    reason: str


class WriteOffs(Kind):
    name = "write-offs"
    columns = ("invoice_number", "date", "amount", "reason")
    required = frozenset({"invoice_number", "date", "amount", "reason"})
    free_text = frozenset({"reason"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen: dict[str, int] = {}
        self.pending: dict[int, Decimal] = {}

    def parse(self, chunk: Chunk) -> list[WriteOffRecord]:
        rows = chunk.named()
        numbers = sorted({get("invoice_number").strip() for _, get in rows} - {""})
        invoices = {}
        for batch in chunked(numbers, 500):
            invoices.update(
                {i.number: i for i in Invoice.objects.for_org(self.org).filter(number__in=batch)}
            )
        done = {
            (a.invoice_id, a.date, a.amount)
            for a in Allocation.objects.for_org(self.org).filter(
                kind=AllocationKind.WRITE_OFF, invoice__in=invoices.values()
            )
        }
        out = []
        for line, get in rows:
            before = len(self.problems)
            number = self.value(line, get, "invoice_number")
            inv = invoices.get(number) if number else None
            if number and inv is None:
                self.problem(line, "invoice_number", f"unknown invoice {number!r}")
            on = self.value(line, get, "date", parse_ledger_date)
            amount = None
            if inv is not None:
                amount = self.value(
                    line, get, "amount", lambda t, c=inv.currency: parse_amount(t, c)
                )
            reason = self.value(line, get, "reason")
            if len(self.problems) != before:
                continue
            first = once(self.seen, f"{inv.pk}|{on}|{amount}", line)
            if first is not None:
                self.problem(line, "invoice_number", f"the same write-off is also on row {first}")
                continue
            if (inv.pk, on, amount) in done:
                if not self.update:
                    self.problem(
                        line,
                        "invoice_number",
                        f"this write-off of {number} already exists (use --update)",
                    )
                else:
                    self.counts.unchanged += 1
                continue
            left = inv.outstanding - self.pending.get(inv.pk, Decimal(0))
            if amount > left:
                self.problem(
                    line, "amount", f"{amount} is more than the {left} still owed on {number}"
                )
                continue
            self.pending[inv.pk] = self.pending.get(inv.pk, Decimal(0)) + amount
            out.append(WriteOffRecord(line, inv, on, amount, reason))
        return out

    def write(self, records: list[WriteOffRecord]) -> None:
        for r in records:
            inv = Invoice.objects.get(pk=r.invoice.pk)
            inv.written_off += r.amount
            inv.status = derive_status(inv.total, inv.paid, inv.credited, inv.written_off)
            inv.save(update_fields=["written_off", "status"])
            Allocation.objects.create(
                organisation=self.org,
                invoice=inv,
                kind=AllocationKind.WRITE_OFF,
                date=max(r.date, inv.issue_date),
                amount=r.amount,
                reason=r.reason,
            )
            self.counts.created += 1

    def export(self):
        qs = (
            Allocation.objects.for_org(self.org)
            .filter(kind=AllocationKind.WRITE_OFF)
            .select_related("invoice")
            .order_by("date", "invoice__number", "pk")
        )
        for a in qs:
            yield {
                "invoice_number": a.invoice.number,
                "date": a.date.isoformat(),
                "amount": money_text(a.amount, a.invoice.currency),
                "reason": a.reason,
            }
