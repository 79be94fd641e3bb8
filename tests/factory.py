"""Ledgers for the tests, built one way: named, keyword-only builders with the defaults most
tests share (Acme, a client in England, paying in pounds), and the CSV import a user runs.

- `import_ledger(cli, folder, clients=..., contacts=..., contracts=..., invoices=...)`: the CSV
  texts given, written to `folder` and imported by `arrears import` (clients before their
  contacts, contracts and invoices: `IMPORT_ORDER`); `ACME` is
  the ledger most late-payment tests share (`import_ledger(cli, folder, **ACME)`).
- `make_client(org, ...)`, `make_invoice(client, ...)`: rows, for tests of one piece (the
  words of a message, a page) that need no import. A client's time zone and currency follow
  its country unless given.
- `email_action(client, step=..., on=...)`: the outbox row of a client message, unsaved, as
  `compose` takes it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from .conftest import write

# A country's main time zone and currency, for the clients the tests make.
PLACES = {
    "GB": ("Europe/London", "GBP"),
    "DE": ("Europe/Berlin", "EUR"),
    "FR": ("Europe/Paris", "EUR"),
}
# The import kinds, in the order a ledger is built (`time_entries=` for `time-entries`).
IMPORT_ORDER = (
    "policies",
    "clients",
    "contacts",
    "contracts",
    "invoices",
    "payments",
    "credit-notes",
    "write-offs",
    "time-entries",
)


# Acme Logistics, in England, owes £1,200.00 due Wednesday 1 April 2026 under English law:
# the late notice (+21) goes on Wednesday 22 April, the final demand (+75) on Monday 15 June.
ACME = {
    "clients": """
client_id,name,country,timezone,currency,language
C1,Acme Logistics,GB-ENG,Europe/London,GBP,en
""",
    "contacts": """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing|accounting|leadership
""",
    "contracts": """
contract_id,client_id,engagement,payment_terms_days,start_date,governing_law
K1,C1,tm,30,2025-01-01,GB
""",
    "invoices": """
invoice_number,client_id,contract_id,issue_date,due_date,amount,description
INV-1,C1,K1,2026-03-02,2026-04-01,1200.00,Platform work in March
""",
}


def import_ledger(cli, folder: Path, **texts: str) -> None:
    """Import CSV texts by kind (`clients=CLIENTS, invoices=INVOICES`), in `IMPORT_ORDER`; a
    kind given as "" is left out."""
    given = {name.replace("_", "-"): text for name, text in texts.items()}
    unknown = set(given) - set(IMPORT_ORDER)
    assert not unknown, f"not an import kind: {unknown}"
    for kind in IMPORT_ORDER:
        if given.get(kind):
            cli("import", kind, str(write(folder / f"{kind}.csv", given[kind])))


def make_client(
    org,
    *,
    external_id: str = "C1",
    name: str = "Acme Logistics",
    country: str = "GB",
    language: str = "en",
    timezone: str | None = None,
    currency: str | None = None,
    **fields,
):
    from arrears.ledger.models import Client

    zone, money = PLACES[country.split("-")[0]]
    return Client.objects.create(
        organisation=org,
        external_id=external_id,
        name=name,
        country=country,
        timezone=timezone or zone,
        currency=currency or money,
        language=language,
        **fields,
    )


def make_invoice(
    client,
    *,
    number: str = "INV-1",
    issue_date: date = date(2026, 1, 1),
    due_date: date = date(2026, 2, 1),
    total: str | Decimal = "1200.00",
    **fields,
):
    from arrears.ledger.models import Invoice

    return Invoice.objects.create(
        organisation_id=client.organisation_id,
        client=client,
        number=number,
        issue_date=issue_date,
        due_date=due_date,
        currency=client.currency,
        total=Decimal(total),
        **fields,
    )


def email_action(
    client,
    *,
    step: str,
    on: date,
    key: str | None = None,
    template: str | None = None,
    level: str = "invoice",
    kind: str = "email",
    policy: str = "default",
    to: tuple[str, ...] = ("ap@acme.example",),
    cc: tuple[str, ...] = (),
    **fields,
):
    """The outbox row of a client message at `step`, scheduled for `on` (not saved)."""
    from arrears.dunning.models import OutboxAction

    return OutboxAction(
        organisation=client.organisation,
        key=key or f"{step}/{client.external_id}",
        client=client,
        step=step,
        kind=kind,
        level=level,
        template=template or step,
        policy=policy,
        scheduled_for=on,
        to=list(to),
        cc=list(cc),
        **fields,
    )
