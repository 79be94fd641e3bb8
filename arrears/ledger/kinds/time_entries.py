"""Time entries: hours worked, at a bill rate and a cost rate, billed by an invoice or not yet.

Rows may carry an `entry_id`; without one, an entry's id is derived from its content and its
place among identical rows of the file, so re-importing the same file is recognised."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from arrears.core.parsing import Invalid, check_amount_size, parse_decimal, parse_ledger_date
from arrears.ledger import guards
from arrears.ledger.models import Invoice, TimeEntry

from .base import Chunk, Kind, chunked, once, text

FIELDS = (
    "date",
    "client",
    "contract",
    "person",
    "hours",
    "bill_rate",
    "cost_rate",
    "description",
    "invoice",
)


def parse_hours(text: str) -> Decimal:
    value = parse_decimal(text, places=2, what="number of hours")
    if value <= 0:
        raise Invalid(f"{text!r}: hours must be positive")
    if value > 24:
        raise Invalid(f"{text!r}: more than 24 hours in a day")
    return value


def parse_rate(text: str) -> Decimal:
    value = parse_decimal(text, places=4, what="rate")
    if value < 0:
        raise Invalid(f"{text!r}: a rate cannot be negative")
    return check_amount_size(value, text)


@dataclass
class EntryRecord:
    line: int
    external_id: str
    date: date
    client: object
    contract: object
    person: str
    hours: Decimal
    bill_rate: Decimal
    cost_rate: Decimal
    description: str
    invoice: Invoice | None


class TimeEntries(Kind):
    name = "time-entries"
    columns = (
        "date",
        "client_id",
        "contract_id",
        "person",
        "hours",
        "bill_rate",
        "cost_rate",
        "description",
        "invoice_number",
        "entry_id",
    )
    required = frozenset({"date", "client_id", "person", "hours", "bill_rate", "cost_rate"})
    free_text = frozenset({"description"})

    override = ""  # a reason to accept new entries for clients a guard refuses (--override)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen: dict[str, int] = {}
        self.occurrences: dict[str, int] = {}
        self.overridden: dict[int, int] = {}  # client pk -> new entries accepted by override

    def derived_id(self, get) -> str:
        content = "|".join(get(c).strip() for c in self.columns[:-2])
        digest = hashlib.sha256(content.encode()).hexdigest()[:20]
        n = self.occurrences[digest] = self.occurrences.get(digest, 0) + 1
        return f"{digest}-{n}"

    def parse(self, chunk: Chunk) -> list[EntryRecord]:
        rows = chunk.named()
        numbers = sorted({get("invoice_number").strip() for _, get in rows} - {""})
        invoices = {}
        for batch in chunked(numbers, 500):
            invoices.update(
                {i.number: i for i in Invoice.objects.for_org(self.org).filter(number__in=batch)}
            )
        ids = [get("entry_id").strip() or self.derived_id(get) for _, get in rows]
        self.existing_now = {}
        for batch in chunked(ids, 500):
            self.existing_now.update(
                {
                    e.external_id: e
                    for e in TimeEntry.objects.for_org(self.org).filter(external_id__in=batch)
                }
            )
        out = []
        for (line, get), ext in zip(rows, ids, strict=True):
            before = len(self.problems)
            first = once(self.seen, ext, line)
            if first is not None:
                self.problem(line, "entry_id", f"duplicate entry_id {ext!r} (also on row {first})")
            elif ext in self.existing_now and not self.update:
                self.problem(
                    line,
                    "entry_id",
                    f"time entry {ext!r} already exists (use --update to change it)",
                )
            client = self.client(line, get)
            contract = self.contract_of(line, get, client)
            number = get("invoice_number").strip()
            invoice = invoices.get(number) if number else None
            if number and invoice is None:
                self.problem(line, "invoice_number", f"unknown invoice {number!r}")
            elif invoice is not None and client is not None and invoice.client_id != client.pk:
                self.problem(
                    line, "invoice_number", f"invoice {number!r} belongs to another client"
                )
            rec = EntryRecord(
                line,
                ext,
                self.value(line, get, "date", parse_ledger_date),
                client,
                contract,
                self.value(line, get, "person") or "",
                self.value(line, get, "hours", parse_hours),
                self.value(line, get, "bill_rate", parse_rate),
                self.value(line, get, "cost_rate", parse_rate),
                get("description").strip(),
                invoice,
            )
            if len(self.problems) == before:
                out.append(rec)
        return self.guarded(out)

    def guarded(self, records: list[EntryRecord]) -> list[EntryRecord]:
        """New entries for a client that a guard refuses (a stopped service level) are
        problems, unless the import says why with --override; updates of existing ones pass."""
        new = [r for r in records if r.external_id not in self.existing_now]
        refused = guards.refused_time(self.org, {r.client.pk for r in new}) if new else {}
        if not refused:
            return records
        kept = []
        for r in records:
            why = refused.get(r.client.pk) if r.external_id not in self.existing_now else None
            if why and not self.override:
                self.problem(r.line, "client_id", f"{why}; add --override REASON to log it anyway")
                continue
            if why:
                self.overridden[r.client.pk] = self.overridden.get(r.client.pk, 0) + 1
            kept.append(r)
        return kept

    def finish(self) -> None:
        if self.overridden:
            guards.time_overridden(self.org, self.overridden, self.override, self.source)

    def write(self, records: list[EntryRecord]) -> None:
        new = []
        for r in records:
            values = {f: getattr(r, f) for f in FIELDS}
            current = self.existing_now.get(r.external_id)
            if current is None:
                new.append(TimeEntry(organisation=self.org, external_id=r.external_id, **values))
            elif any(getattr(current, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(current, f, v)
                current.save(update_fields=list(FIELDS))
                self.counts.updated += 1
            else:
                self.counts.unchanged += 1
        TimeEntry.objects.bulk_create(new, batch_size=2000)
        self.counts.created += len(new)

    def export(self):
        qs = (
            TimeEntry.objects.for_org(self.org)
            .select_related("client", "contract", "invoice")
            .order_by("date", "client__external_id", "person", "pk")
        )
        for e in qs.iterator(chunk_size=5000):
            yield {
                "date": e.date.isoformat(),
                "client_id": e.client.external_id,
                "contract_id": e.contract.external_id if e.contract else "",
                "person": e.person,
                "hours": text(e.hours),
                "bill_rate": text(e.bill_rate),
                "cost_rate": text(e.cost_rate),
                "description": e.description,
                "invoice_number": e.invoice.number if e.invoice else "",
                "entry_id": e.external_id,
            }
