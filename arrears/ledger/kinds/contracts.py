from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from arrears.core.parsing import (
    Invalid,
    parse_amount,
    parse_choice,
    parse_country,
    parse_decimal,
    parse_int,
    parse_ledger_date,
    parse_yes_no,
)
from arrears.core.policy import CLAUSES
from arrears.ledger.models import Contract, Engagement

from .base import Chunk, Kind, money_text, once, text

FLAGS = (*CLAUSES, "po_required")  # the clauses' columns are named for them
FIELDS = (
    "engagement",
    "payment_terms_days",
    "late_fee_fixed",
    "late_interest_annual_pct",
    *FLAGS[:3],
    "credit_limit",
    "late_fee_grace_days",
    "late_interest_cap_pct",
    "stop_work_threshold_days",
    "non_essential_services",
    "essential_services",
    "deposit_pct",
    "po_required",
    "start_date",
    "end_date",
    "governing_law",
    "policy",
)


def parse_pct(text: str) -> Decimal:
    value = parse_decimal(text, places=4, what="percentage")
    if not 0 <= value <= 100:
        raise Invalid(f"{text!r}: a percentage is between 0 and 100")
    return value


def parse_days(text: str) -> int:
    return parse_int(text, low=0, high=3650)


def services(value: str | None) -> str:
    """A list of services in one cell, separated by `;` or new lines: one per line."""
    parts = (value or "").replace(";", "\n").splitlines()
    return "\n".join(p.strip() for p in parts if p.strip())


@dataclass
class ContractRecord:
    line: int
    external_id: str
    client: object
    engagement: str
    payment_terms_days: int
    late_fee_fixed: Decimal | None
    late_interest_annual_pct: Decimal | None
    service_modification_clause: bool
    stop_work_clause: bool
    suspension_rights_clause: bool
    credit_limit: Decimal | None
    late_fee_grace_days: int
    late_interest_cap_pct: Decimal | None
    stop_work_threshold_days: int | None
    non_essential_services: str
    essential_services: str
    deposit_pct: Decimal | None
    po_required: bool
    start_date: date
    end_date: date | None
    governing_law: str
    policy: str


class Contracts(Kind):
    name = "contracts"
    columns = ("contract_id", "client_id", *FIELDS)
    required = frozenset(
        {"contract_id", "client_id", "engagement", "payment_terms_days", "start_date"}
    )
    free_text = frozenset({"non_essential_services", "essential_services"})

    def parse(self, chunk: Chunk) -> list[ContractRecord]:
        seen = self.__dict__.setdefault("_seen", {})
        out = []
        for line, get in chunk.named():
            before = len(self.problems)
            ext = self.value(line, get, "contract_id")
            if ext is not None:
                first = once(seen, ext, line)
                if first is not None:
                    self.problem(
                        line, "contract_id", f"duplicate contract_id {ext!r} (also on row {first})"
                    )
                elif ext in self.contracts() and not self.update:
                    self.problem(
                        line,
                        "contract_id",
                        f"contract {ext!r} already exists (use --update to change it)",
                    )
            client = self.client(line, get)
            currency = client.currency if client is not None else "EUR"

            def money(column, currency=currency, line=line, get=get):
                return self.value(
                    line,
                    get,
                    column,
                    lambda t: parse_amount(t, currency, allow_zero=True),
                    required=False,
                )

            flags = {
                f: self.value(line, get, f, parse_yes_no, required=False) or False for f in FLAGS
            }
            start = self.value(line, get, "start_date", parse_ledger_date)
            end = self.value(line, get, "end_date", parse_ledger_date, required=False)
            if start and end and end < start:
                self.problem(line, "end_date", f"{end} is before the start date {start}")
            rec = ContractRecord(
                line=line,
                external_id=ext or "",
                client=client,
                engagement=self.value(
                    line, get, "engagement", lambda t: parse_choice(t, Engagement.values)
                ),
                payment_terms_days=self.value(
                    line, get, "payment_terms_days", lambda t: parse_int(t, low=0, high=365)
                ),
                late_fee_fixed=money("late_fee_fixed"),
                late_interest_annual_pct=self.value(
                    line, get, "late_interest_annual_pct", parse_pct, required=False
                ),
                credit_limit=money("credit_limit"),
                late_fee_grace_days=self.value(
                    line, get, "late_fee_grace_days", parse_days, required=False
                )
                or 0,
                late_interest_cap_pct=self.value(
                    line, get, "late_interest_cap_pct", parse_pct, required=False
                ),
                stop_work_threshold_days=self.value(
                    line, get, "stop_work_threshold_days", parse_days, required=False
                ),
                non_essential_services=services(get("non_essential_services")),
                essential_services=services(get("essential_services")),
                deposit_pct=self.value(line, get, "deposit_pct", parse_pct, required=False),
                start_date=start,
                end_date=end,
                governing_law=self.value(line, get, "governing_law", parse_country, required=False)
                or self.org.country.split("-")[0],
                policy=self.policy(line, get),
                **flags,
            )
            if len(self.problems) == before:
                out.append(rec)
        return out

    def write(self, records: list[ContractRecord]) -> None:
        existing = self.contracts()
        new = []
        for r in records:
            values = {f: getattr(r, f) for f in FIELDS}
            current = existing.get(r.external_id)
            if current is None:
                contract = Contract(
                    organisation=self.org, external_id=r.external_id, client=r.client, **values
                )
                new.append(contract)
                existing[r.external_id] = contract
            elif current.client_id != r.client.pk or any(
                getattr(current, f) != v for f, v in values.items()
            ):
                current.client = r.client
                for f, v in values.items():
                    setattr(current, f, v)
                current.save(update_fields=["client", *FIELDS])
                self.counts.updated += 1
            else:
                self.counts.unchanged += 1
        Contract.objects.bulk_create(new)
        self.counts.created += len(new)

    def export(self):
        qs = Contract.objects.for_org(self.org).select_related("client").order_by("external_id")
        for c in qs:
            yield {
                "contract_id": c.external_id,
                "client_id": c.client.external_id,
                **{f: text(getattr(c, f)) for f in FIELDS},
                "late_fee_fixed": money_text(c.late_fee_fixed, c.client.currency),
                "credit_limit": money_text(c.credit_limit, c.client.currency),
                "non_essential_services": "; ".join(c.non_essential_services.splitlines()),
                "essential_services": "; ".join(c.essential_services.splitlines()),
            }
