"""`arrears demo`: two years of a consultancy's ledger, written through the import path.

The rows are generated in memory, written as CSV files into a temporary folder and imported
with `arrears.ledger.importing`, so the demo is checked by the same rules as a user's files.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction

from arrears.ledger.importing import import_file
from arrears.ledger.kinds import KINDS
from arrears.ledger.models import (
    Client,
    Contract,
    Document,
    DocumentKind,
    Invoice,
    InvoiceLine,
    Organisation,
)

from .people import CASH_CRUNCH, CLIENTS, DELIVERY, ENGINEERS, FIRST, LAST, PLACES, SALES, UTILITY
from .story import Story


class DemoError(Exception):
    pass


FX = {"GBP": Decimal("1"), "USD": Decimal("1.27"), "EUR": Decimal("1.17")}


def _months_back(today: date, n: int) -> date:
    y, m = today.year, today.month - n
    while m <= 0:
        m += 12
        y -= 1
    return date(y, m, 1)


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _weekday_on_or_after(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())[:14]


def generate(today: date, seed: int) -> dict[str, list[dict]]:
    """The demo's rows per kind, ready for the importers; plus the story (lines, disputes...)."""
    rng = random.Random(seed)
    rows: dict[str, list[dict]] = {k: [] for k in KINDS}
    story = Story()
    start = _months_back(today, 24)
    for n, (name, country, behaviour, engagement, _sector) in enumerate(CLIENTS, start=1):
        cid = f"C{n:03d}"
        tz, currency, language = PLACES[country]
        domain = f"{_slug(name)}.example"
        rows["clients"].append(
            {
                "client_id": cid,
                "name": name,
                "country": country,
                "timezone": tz,
                "currency": currency,
                "language": language,
                "sales_owner_email": SALES[n % len(SALES)],
                "delivery_lead_email": DELIVERY[n % len(DELIVERY)],
            }
        )
        billing = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        rows["contacts"] += [
            {"client_id": cid, "name": billing, "email": f"ap@{domain}", "roles": "billing"},
            {
                "client_id": cid,
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "email": f"finance@{domain}",
                "roles": "accounting|approver",
            },
            {"client_id": cid, "name": "", "email": f"info@{domain}", "roles": "general"},
            {
                "client_id": cid,
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "email": f"cto@{domain}",
                "roles": "leadership|technical",
            },
        ]
        terms = rng.choice([14, 30, 30, 30, 45]) if not country.startswith("DE") else 30
        fx = FX[currency]
        new_client = n % 9 == 0
        protective = behaviour in (CASH_CRUNCH, UTILITY) or n % 3 == 0
        contract_id = f"K{n:03d}"
        rows["contracts"].append(
            {
                "contract_id": contract_id,
                "client_id": cid,
                "engagement": engagement,
                "payment_terms_days": str(terms),
                "late_fee_fixed": str((Decimal(40) * fx).quantize(Decimal(1)))
                if protective
                else "",
                "late_interest_annual_pct": "8" if n % 4 == 0 else "",
                "service_modification_clause": "yes" if protective or n % 2 == 0 else "no",
                "stop_work_clause": "yes" if protective else "no",
                "suspension_rights_clause": "yes" if behaviour is UTILITY or n % 5 == 0 else "no",
                "credit_limit": str(  # about two to five months of a team's work
                    (Decimal(rng.choice([20000, 30000, 50000]) * 3) * fx).quantize(Decimal(1))
                ),
                "deposit_pct": "20" if new_client else "",
                "po_required": "yes"
                if name.startswith(("Oakridge", "Ulmer", "Foxglove"))
                else "no",
                "start_date": start.isoformat(),
                "end_date": "",
                "governing_law": country.split("-")[0],
            }
        )
        team = rng.sample(ENGINEERS, rng.choice([1, 2, 2, 3]))
        story.client(cid, name, behaviour, currency, terms, fx, team, engagement, contract_id)
    story.run(rng, start, today, rows)
    return rows, story


STAGES = len(KINDS) + 2  # the kinds, then invoice lines, then pauses and documents


def build_demo(
    organisation: Organisation,
    *,
    seed: int,
    today: date,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Generate and load the demo; `progress(stage)` is called as each of STAGES ends."""
    tick = progress or (lambda stage: None)
    rows, story = generate(today, seed)
    summary: dict[str, int] = {}
    with transaction.atomic(), tempfile.TemporaryDirectory() as tmp:
        for kind in KINDS:
            data = rows[kind]
            if not data:
                continue
            path = Path(tmp) / f"{kind}.csv"
            with open(path, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(data[0]))
                writer.writeheader()
                writer.writerows(data)
            # the story has its overpayments on purpose (credit); they are not typos
            result = import_file(
                organisation, kind, path, source=f"demo/{kind}.csv", accept_warnings=True
            )
            if result.problems:
                raise DemoError("; ".join(str(p) for p in result.problems[:5]))
            summary[kind] = result.counts.created
            tick(kind)
        _lines(organisation, story)
        tick("invoice lines")
        summary["disputes"], summary["promises"] = story.pauses(organisation, today)
        summary["documents"] = _documents(organisation)
        summary["fx rates"] = _rates(organisation, today)
        tick("disputes, promises, documents")
    return summary


def _lines(organisation: Organisation, story: Story) -> None:
    invoices = dict(Invoice.objects.for_org(organisation).values_list("number", "pk"))
    lines = []
    for number, items in story.lines.items():
        for pos, (description, qty, price) in enumerate(items, start=1):
            lines.append(
                InvoiceLine(
                    invoice_id=invoices[number],
                    position=pos,
                    description=description,
                    quantity=qty,
                    unit_price=price,
                    amount=qty * price,
                )
            )
    InvoiceLine.objects.bulk_create(lines, batch_size=2000)


def _rates(organisation: Organisation, today: date) -> int:
    """Exchange rates as the ECB states them (per 1 EUR), on the first weekday of each month
    the demo covers and on the last weekday before today, at the demo's own fixed rates: the
    exposure report then has its base-currency total, and charges convert fixed sums. A user's
    own `arrears fx import` of the ECB file replaces them day by day."""
    from arrears.charges.models import FxRate

    days = {_weekday_on_or_after(_months_back(today, n)) for n in range(26)}
    last = today - timedelta(days=1)
    while last.weekday() >= 5:
        last -= timedelta(days=1)
    days.add(last)
    per_eur = {c: (FX[c] / FX["EUR"]).quantize(Decimal("0.0001")) for c in ("GBP", "USD")}
    rows = FxRate.objects.bulk_create(
        [
            FxRate(
                organisation=organisation,
                base="EUR",
                quote=currency,
                on=day,
                rate=rate,
                source="demo: fixed illustrative rates, not the ECB's",
            )
            for day in sorted(days)
            if day <= today
            for currency, rate in per_eur.items()
        ]
    )
    return len(rows)


def _documents(organisation: Organisation) -> int:
    n = 0
    for contract in Contract.objects.for_org(organisation).select_related("client")[:8]:
        client: Client = contract.client
        text = (
            f"MASTER SERVICES AGREEMENT {contract.external_id}\n\n"
            f"Between {organisation.name} and {client.name}.\n"
            f"Engagement: {contract.get_engagement_display()}. "
            f"Payment terms: {contract.payment_terms_days} days.\n"
            f"Stop-work clause: {'yes' if contract.stop_work_clause else 'no'}. "
            f"Suspension rights: {'yes' if contract.suspension_rights_clause else 'no'}.\n"
        )
        doc = Document(
            organisation=organisation,
            client=client,
            contract=contract,
            kind=DocumentKind.CONTRACT,
            title=f"Master services agreement {contract.external_id}",
        )
        doc.file.save(f"{contract.external_id}-msa.txt", ContentFile(text.encode()), save=False)
        doc.save()
        n += 1
    return n
