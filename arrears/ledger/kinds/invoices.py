"""Invoices: the kind that is imported by the hundred thousand, so its rows are checked with
straight-line code and new rows are inserted with one `executemany` per chunk."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from arrears.core.parsing import (
    Invalid,
    parse_amount,
    parse_currency,
    parse_email,
    parse_ledger_date,
)
from arrears.ledger.models import CreditNote, Invoice, InvoiceStatus, Payment, derive_status
from arrears.ledger.settlement import Settler

from .base import Chunk, Kind, chunked, money_text


class InvoiceRecord(NamedTuple):
    line: int
    number: str
    client_id: int
    contract_id: int | None
    issue_date: date
    due_date: date
    currency: str
    total: Decimal
    po_number: str
    approver_email: str
    description: str


_INSERT_FIELDS = (
    "organisation",
    "client",
    "contract",
    "number",
    "issue_date",
    "due_date",
    "currency",
    "total",
    "paid",
    "credited",
    "written_off",
    "status",
    "po_number",
    "approver_email",
    "description",
    "created_at",
)


class Invoices(Kind):
    name = "invoices"
    columns = (
        "invoice_number",
        "client_id",
        "contract_id",
        "issue_date",
        "due_date",
        "currency",
        "amount",
        "po_number",
        "approver_email",
        "description",
    )
    required = frozenset({"invoice_number", "client_id", "issue_date", "due_date", "amount"})
    free_text = frozenset({"description"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen: dict[str, int] = {}
        self.touched_clients: set[int] = set()
        self.empty_at_start = not Invoice.objects.for_org(self.org).exists()
        meta = Invoice._meta
        cols = [meta.get_field(f).column for f in _INSERT_FIELDS]
        self.insert_sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
            meta.db_table, ", ".join(f'"{c}"' for c in cols), ", ".join(["%s"] * len(cols))
        )

    def existing(self, numbers: list[str]) -> dict[str, Invoice]:
        """The invoices of this organisation among `numbers` (none to look for when the
        organisation had no invoices when the import began)."""
        if self.empty_at_start:
            return {}
        found: dict[str, Invoice] = {}
        for batch in chunked(numbers, 500):
            qs = Invoice.objects.for_org(self.org).filter(number__in=batch)
            if not self.update:
                qs = qs.only("pk", "number")
            found.update({inv.number: inv for inv in qs})
        return found

    def parse(self, chunk: Chunk) -> list[InvoiceRecord]:
        # Straight-line on purpose: this runs a million times in a big import.
        problem = self.problem
        problems = self.problems
        clients, contracts = self.lookups()
        seen = self.seen
        strip = str.strip
        update = self.update
        self.existing_now = existing = self.existing([v[0].strip() for _, v in chunk.rows])
        out = []
        for line, values in chunk.rows:
            before = len(problems)
            number, client_ext, contract_ext, issue_s, due_s, currency, raw, po, approver, desc = (
                map(strip, values)
            )
            if not number:
                problem(line, "invoice_number", "is required")
            else:
                first = seen.get(number)
                if first is not None:
                    problem(
                        line,
                        "invoice_number",
                        f"duplicate invoice number {number!r} (also on row {first})",
                    )
                else:
                    seen[number] = line
                    if number in existing and not update:
                        problem(
                            line,
                            "invoice_number",
                            f"invoice {number!r} already exists (use --update to change it)",
                        )
            client = clients.get(client_ext)  # (pk, currency)
            if client is None:
                problem(
                    line,
                    "client_id",
                    f"unknown client {client_ext!r}" if client_ext else "is required",
                )
            contract_id = None
            if contract_ext:
                contract = contracts.get(contract_ext)  # (pk, client pk, client id)
                if contract is None:
                    problem(line, "contract_id", f"unknown contract {contract_ext!r}")
                elif client is not None and contract[1] != client[0]:
                    problem(
                        line,
                        "contract_id",
                        f"contract {contract_ext!r} belongs to client {contract[2]!r}",
                    )
                else:
                    contract_id = contract[0]
            issue = self._date(line, issue_s, "issue_date")
            due = self._date(line, due_s, "due_date")
            if issue and due and due < issue:
                problem(line, "due_date", f"{due} is before the issue date {issue}")
            if currency:
                try:
                    currency = parse_currency(currency)
                except Invalid as exc:
                    problem(line, "currency", str(exc))
                    currency = ""
            elif client is not None:
                currency = client[1]
            total = None
            if not raw:
                problem(line, "amount", "is required")
            elif currency:
                try:
                    total = parse_amount(raw, currency)
                except Invalid as exc:
                    problem(line, "amount", str(exc))
            if approver:
                try:
                    parse_email(approver)
                except Invalid as exc:
                    problem(line, "approver_email", str(exc))
            if len(problems) == before:
                out.append(
                    InvoiceRecord(
                        line,
                        number,
                        client[0],
                        contract_id,
                        issue,
                        due,
                        currency,
                        total,
                        po,
                        approver,
                        desc,
                    )
                )
        return out

    def lookups(self):
        if not hasattr(self, "_lookups"):
            self._lookups = (
                {ext: (c.pk, c.currency) for ext, c in self.clients().items()},
                {
                    ext: (k.pk, k.client_id, k.client.external_id)
                    for ext, k in self.contracts().items()
                },
            )
        return self._lookups

    def _date(self, line: int, raw: str, column: str) -> date | None:
        if not raw:
            self.problem(line, column, "is required")
            return None
        try:
            return parse_ledger_date(raw)
        except Invalid as exc:
            self.problem(line, column, str(exc))
            return None

    def write(self, records: list[InvoiceRecord]) -> None:
        existing = self.existing_now
        new = [r for r in records if r.number not in existing]
        self._insert(new)
        self.counts.created += len(new)
        self.touched_clients.update(r.client_id for r in new)
        for r in records:
            if r.number in existing:
                self._update(existing[r.number], r)

    def _insert(self, records: list[InvoiceRecord]) -> None:
        if not records:
            return
        ops = connection.ops
        org = self.org.pk
        now = ops.adapt_datetimefield_value(timezone.now())
        status = InvoiceStatus.OPEN.value
        day = ops.adapt_datefield_value
        # FixedDecimalField stores value * 10**4; amounts were checked against the currency.
        rows = [
            (
                org,
                r.client_id,
                r.contract_id,
                r.number,
                day(r.issue_date),
                day(r.due_date),
                r.currency,
                int(r.total.scaleb(4)),
                0,
                0,
                0,
                status,
                r.po_number,
                r.approver_email,
                r.description,
                now,
            )
            for r in records
        ]
        with connection.cursor() as cursor:
            cursor.executemany(self.insert_sql, rows)

    def _update(self, inv: Invoice, r: InvoiceRecord) -> None:
        settled = inv.paid + inv.credited + inv.written_off
        if (inv.client_id != r.client_id or inv.currency != r.currency) and settled:
            self.problem(
                r.line,
                "client_id",
                f"invoice {r.number} has payments; its client and currency cannot change",
            )
            return
        if r.total < settled:
            self.problem(
                r.line,
                "amount",
                f"{r.total} is less than the {settled} already settled on invoice {r.number}",
            )
            return
        values = {
            "client_id": r.client_id,
            "contract_id": r.contract_id,
            "issue_date": r.issue_date,
            "due_date": r.due_date,
            "currency": r.currency,
            "total": r.total,
            "po_number": r.po_number,
            "approver_email": r.approver_email,
            "description": r.description,
        }
        if all(getattr(inv, f) == v for f, v in values.items()):
            self.counts.unchanged += 1
            return
        for f, v in values.items():
            setattr(inv, f, v)
        inv.status = derive_status(inv.total, inv.paid, inv.credited, inv.written_off)
        inv.save(update_fields=[*values, "status"])
        self.touched_clients.add(r.client_id)
        self.counts.updated += 1

    def finish(self) -> None:
        """Clients who had credit (an earlier overpayment) use it on their new invoices."""
        if not self.touched_clients:
            return
        unspent = Q(client_id__in=self.touched_clients, allocated__lt=F("amount"))
        with_credit = set(
            Payment.objects.for_org(self.org).filter(unspent).values_list("client_id", flat=True)
        )
        with_credit |= set(
            CreditNote.objects.for_org(self.org).filter(unspent).values_list("client_id", flat=True)
        )
        if with_credit:
            settler = Settler(self.org, with_credit)
            settler.use_credit(with_credit)
            settler.flush()

    def export(self):
        qs = (
            Invoice.objects.for_org(self.org)
            .select_related("client", "contract")
            .order_by("issue_date", "number")
        )
        for inv in qs.iterator(chunk_size=5000):
            yield {
                "invoice_number": inv.number,
                "client_id": inv.client.external_id,
                "contract_id": inv.contract.external_id if inv.contract else "",
                "issue_date": inv.issue_date.isoformat(),
                "due_date": inv.due_date.isoformat(),
                "currency": inv.currency,
                "amount": money_text(inv.total, inv.currency),
                "po_number": inv.po_number,
                "approver_email": inv.approver_email,
                "description": inv.description,
            }
