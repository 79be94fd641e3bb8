from __future__ import annotations

from dataclasses import dataclass

from arrears.core.parsing import (
    parse_country,
    parse_currency,
    parse_email,
    parse_language,
    parse_timezone,
)
from arrears.ledger.models import Client

from .base import Chunk, Kind, once, text

FIELDS = (
    "name",
    "country",
    "timezone",
    "currency",
    "language",
    "sales_owner_email",
    "delivery_lead_email",
    "policy",
    "postal_address",
)


@dataclass
class ClientRecord:
    line: int
    external_id: str
    name: str
    country: str
    timezone: str
    currency: str
    language: str
    sales_owner_email: str
    delivery_lead_email: str
    policy: str
    postal_address: str


class Clients(Kind):
    name = "clients"
    columns = ("client_id", *FIELDS)
    required = frozenset({"client_id", "name", "country", "timezone", "currency"})
    free_text = frozenset({"postal_address"})  # one line per line of the address

    def parse(self, chunk: Chunk) -> list[ClientRecord]:
        seen = self.__dict__.setdefault("_seen", {})
        out = []
        for line, get in chunk.named():
            before = len(self.problems)
            ext = self.value(line, get, "client_id")
            if ext is not None:
                first = once(seen, ext, line)
                if first is not None:
                    self.problem(
                        line, "client_id", f"duplicate client_id {ext!r} (also on row {first})"
                    )
                elif ext in self.clients() and not self.update:
                    self.problem(
                        line,
                        "client_id",
                        f"client {ext!r} already exists (use --update to change it)",
                    )
            rec = ClientRecord(
                line,
                ext or "",
                self.value(line, get, "name") or "",
                self.value(line, get, "country", parse_country) or "",
                self.value(line, get, "timezone", parse_timezone) or "",
                self.value(line, get, "currency", parse_currency) or "",
                self.value(line, get, "language", parse_language, required=False) or "en",
                self.value(line, get, "sales_owner_email", parse_email, required=False) or "",
                self.value(line, get, "delivery_lead_email", parse_email, required=False) or "",
                self.policy(line, get),
                self.value(line, get, "postal_address", required=False) or "",
            )
            if len(self.problems) == before:
                out.append(rec)
        return out

    def write(self, records: list[ClientRecord]) -> None:
        existing = self.clients()
        new = []
        for r in records:
            values = {f: getattr(r, f) for f in FIELDS}
            current = existing.get(r.external_id)
            if current is None:
                client = Client(organisation=self.org, external_id=r.external_id, **values)
                new.append(client)
                existing[r.external_id] = client
            elif any(getattr(current, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(current, f, v)
                current.save(update_fields=list(FIELDS))
                self.counts.updated += 1
            else:
                self.counts.unchanged += 1
        Client.objects.bulk_create(new)
        self.counts.created += len(new)

    def export(self):
        for c in Client.objects.for_org(self.org).order_by("external_id"):
            yield {"client_id": c.external_id, **{f: text(getattr(c, f)) for f in FIELDS}}
