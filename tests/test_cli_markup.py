"""What the ledger holds is printed as it is: a client named `Broken [/b] Ltd` (Rich markup in
a name, a reason, a note) neither crashes a verb nor loses its brackets."""

from __future__ import annotations

import json

import pytest

from .factory import import_ledger

pytestmark = pytest.mark.django_db

OWNER = "owner@northwind.example"
NAME = "Broken [/b] Ltd"
CLIENTS = """
client_id,name,country,timezone,currency,sales_owner_email
C1,Broken [/b] Ltd,GB,Europe/London,GBP,sam@northwind.example
C2,[bold]Loud[/bold] & Co,GB,Europe/London,GBP,
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat [red]Payables,ap@broken.example,billing
C2,Lou,ap@loud.example,billing
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,credit_limit,service_modification_clause,start_date
K1,C1,tm,30,100.00,yes,2025-01-01
"""
INVOICES = """
invoice_number,client_id,contract_id,issue_date,due_date,amount,description
INV-1,C1,K1,2026-01-05,2026-02-04,1200.00,Work [/i] in January
INV-2,C2,,2026-01-05,2026-02-04,300.00,[link=http://x]click[/link]
"""


@pytest.fixture
def ledger(cli, tmp_path, org):
    org.name = "Northwind [/] Engineering"
    org.save()
    import_ledger(
        cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS, invoices=INVOICES
    )
    return cli


def shown(result) -> str:
    """The output as one line of words (tables wrap and pad)."""
    return " ".join(result.output.split())


def timeline_texts(cli, client_id) -> str:
    return " ".join(
        e["text"] for e in json.loads(cli("timeline", client_id, "--format", "json").stdout)
    )


def test_a_client_named_with_markup_is_shown_literally_by_level_aging_exposure_and_timeline(
    ledger,
):
    ledger("level", "C1", "--set", "maintenance", "--reason", "[b]late[/]", "--by", OWNER)
    level = ledger("level", "C1")
    assert level.output.startswith(f"{NAME} (C1): maintenance")
    assert "[b]late[/]" in level.output  # the reason, in the history table
    aging = ledger("aging", "--date", "2026-04-01")
    assert NAME in aging.output and "[bold]Loud[/bold] & Co" in aging.output
    assert "Northwind [/] Engineering" in shown(aging)
    exposure = ledger("exposure", "--date", "2026-04-01")
    # the name column gives way to the figures: the start of each name, brackets and all
    assert "C1 Brok…" in exposure.output and "C2 [bol…" in exposure.output
    timeline = ledger("timeline", "C1")
    assert timeline.output.startswith(f"{NAME} (C1)\n")
    assert "[b]late[/]" in timeline_texts(ledger, "C1")


def test_other_verbs_print_names_reasons_and_notes_literally(ledger, tmp_path):
    plan = ledger("plan", "--date", "2026-04-01")
    assert "Northwind [/] Engineering" in shown(plan)
    ledger("dispute", "INV-2", "--reason", "other", "--note", "[/] wrong [b]PO")
    ledger("timeline", "C2")
    assert "[/] wrong [b]PO" in timeline_texts(ledger, "C2")
    ledger("hook", "add", "[x]", "--kind", "command", "--command", "true", "--client", "C1")
    assert "[x]" in ledger("hook", "list").output
    ledger("plan-offer", "C2", "--instalments", "2", "--first", "2099-01-01",
           "-o", str(tmp_path / "p.pdf"))  # fmt: skip
    plans = ledger("plans")
    assert "[bold]Loud[/bold] & Co" in shown(plans)
    refused = ledger("write-off", "[/b]", "--reason", "x", ok=False)
    assert "no invoice '[/b]'" in refused.stderr
    refused = ledger("level", "[/b]", ok=False)
    assert "no client '[/b]'" in refused.stderr
