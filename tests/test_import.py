"""`arrears import`: good files land, bad files change nothing and name every bad cell."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core import serializers

from arrears.ledger.models import (
    Client,
    Contact,
    Contract,
    Invoice,
    InvoiceStatus,
    Payment,
    TimeEntry,
)

from .conftest import write
from .factory import import_ledger

CLIENTS = """
client_id,name,country,timezone,currency,language,sales_owner_email,delivery_lead_email
C1,Acme Logistics,GB-ENG,Europe/London,GBP,en,sam@northwind.example,dev@northwind.example
C2,Rheinland GmbH,DE-BY,Europe/Berlin,EUR,de,,
C3,Juniper Labs,US-NY,America/New_York,USD,en,,
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing
C1,Fran Finance,finance@acme.example,accounting|approver
C1,,info@acme.example,general
C2,Jonas Berger,buchhaltung@rheinland.example,billing|accounting
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,late_fee_fixed,late_interest_annual_pct,service_modification_clause,stop_work_clause,suspension_rights_clause,credit_limit,deposit_pct,po_required,start_date,end_date,governing_law
K1,C1,tm,30,40.00,,yes,yes,no,20000.00,,no,2025-01-01,,
K2,C2,retainer,14,,9.5,no,no,no,,20,yes,2025-06-01,2027-05-31,DE
"""
INVOICES = """
invoice_number,client_id,contract_id,issue_date,due_date,currency,amount,po_number,approver_email,description
INV-1,C1,K1,2026-01-05,2026-02-04,GBP,1200.00,,,January
INV-2,C1,K1,2026-02-05,2026-03-07,GBP,800.00,PO-7,finance@acme.example,February
INV-3,C2,K2,2026-02-01,2026-02-15,EUR,5000.00,PO-1,,Retainer
"""
TIME = """
date,client_id,contract_id,person,hours,bill_rate,cost_rate,description,invoice_number
2026-01-12,C1,K1,Ada Lovelace,7.5,95,55,Pipeline,INV-1
2026-01-12,C1,K1,Ada Lovelace,7.5,95,55,Pipeline,INV-1
2026-03-02,C1,K1,Grace Hopper,4,110,70,Review,
"""


@pytest.fixture
def ledger(cli, tmp_path):
    """A small ledger imported the way a user would: clients, contacts, contracts, invoices."""
    import_ledger(
        cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS, invoices=INVOICES
    )
    return cli


def snapshot():
    """Every ledger row, for 'nothing changed' checks."""
    from django.apps import apps

    return {
        m._meta.label: serializers.serialize("json", m.objects.order_by("pk"))
        for m in apps.get_app_config("ledger").get_models()
    }


def test_a_small_ledger_imports(ledger, org):
    acme = Client.objects.for_org(org).get(external_id="C1")
    assert (acme.country, acme.country_code, acme.subdivision) == ("GB-ENG", "GB", "ENG")
    assert sorted(c.email for c in acme.contacts.all()) == [
        "ap@acme.example",
        "finance@acme.example",
        "info@acme.example",
    ]
    assert Contact.objects.get(email="finance@acme.example").roles == ["accounting", "approver"]
    k1, k2 = Contract.objects.for_org(org).order_by("external_id")
    assert (k1.late_fee_fixed, k1.late_interest_annual_pct, k1.stop_work_clause) == (
        Decimal("40"),
        None,
        True,
    )
    assert k1.governing_law == "GB"  # an empty cell means the organisation's country
    assert (k2.late_interest_annual_pct, k2.deposit_pct, k2.po_required, k2.governing_law) == (
        Decimal("9.5"),
        Decimal("20"),
        True,
        "DE",
    )
    inv = Invoice.objects.get(number="INV-3")
    assert (inv.total, inv.currency, inv.status, inv.outstanding) == (
        Decimal("5000.00"),
        "EUR",
        "open",
        Decimal("5000.00"),
    )


def test_a_file_with_several_bad_rows_names_each_one_and_changes_nothing(ledger, tmp_path):
    before = snapshot()
    bad_invoices = write(
        tmp_path / "bad-invoices.csv",
        """
invoice_number,client_id,contract_id,issue_date,due_date,currency,amount,po_number,approver_email,description
INV-10,C1,K1,2026-03-01,2026-03-31,GBP,100.00,,,fine on its own
INV-11,C1,K1,03/04/2026,2026-04-30,GBP,100.00,,,bad date
INV-12,C9,,2026-03-01,2026-03-31,GBP,100.00,,,unknown client
INV-10,C1,K1,2026-03-01,2026-03-31,GBP,100.00,,,duplicate number
INV-13,C1,K1,2026-03-01,2026-03-31,GBP,"1,234.50",,,thousands separator
INV-1,C1,K1,2026-03-01,2026-03-31,GBP,100.00,,,already exists
""",
    )
    result = ledger("import", "invoices", str(bad_invoices), ok=False)
    lines = result.stderr.splitlines()
    name = str(bad_invoices)
    for expected in (
        f"{name}:3:issue_date: '03/04/2026' is not a date in the form YYYY-MM-DD",
        f"{name}:4:client_id: unknown client 'C9'",
        f"{name}:5:invoice_number: duplicate invoice number 'INV-10' (also on row 2)",
        f"{name}:6:amount: '1,234.50' is not a plain decimal amount (no thousands separators; use . for decimals)",
        f"{name}:7:invoice_number: invoice 'INV-1' already exists (use --update to change it)",
    ):
        assert expected in lines, f"missing {expected!r} in:\n{result.stderr}"
    assert "nothing was imported" in result.stderr
    assert not Invoice.objects.filter(number="INV-10").exists()

    bad_time = write(
        tmp_path / "bad-time.csv",
        """
date,client_id,contract_id,person,hours,bill_rate,cost_rate,description,invoice_number
2026-03-02,C1,K1,Ada Lovelace,-2,95,55,negative hours,
2026-03-02,C1,K1,Ada Lovelace,2,95,55,fine,
""",
    )
    result = ledger("import", "time-entries", str(bad_time), ok=False)
    assert f"{bad_time}:2:hours: '-2': hours must be positive" in result.stderr.splitlines()

    bad_contacts = write(
        tmp_path / "bad-contacts.csv",
        """
client_id,name,email,roles
C1,Ok Person,ok@acme.example,billing
C1,Someone,someone@acme.example,billing|cfo
""",
    )
    result = ledger("import", "contacts", str(bad_contacts), ok=False)
    assert any(
        line.startswith(f"{bad_contacts}:3:roles: unknown role 'cfo'")
        for line in result.stderr.splitlines()
    )
    assert snapshot() == before


def test_every_problem_is_listed_not_just_the_first(ledger, tmp_path):
    rows = "\n".join(f"X-{n},C1,K1,2026-13-01,2026-03-31,GBP,1.5.0,,," for n in range(50))
    bad = write(tmp_path / "many.csv", INVOICES.strip().splitlines()[0] + "\n" + rows + "\n")
    result = ledger("import", "invoices", str(bad), ok=False)
    lines = set(result.stderr.splitlines())
    for row in range(2, 52):
        assert f"{bad}:{row}:issue_date: '2026-13-01' is not a real date" in lines
        assert f"{bad}:{row}:amount: '1.5.0' is not a plain decimal amount" in lines
    assert "100 problem(s)" in result.stderr


def test_a_row_with_the_wrong_number_of_cells_is_named(ledger, tmp_path):
    bad = write(tmp_path / "short.csv", "client_id,name,email,roles\nC1,Short Row\n")
    result = ledger("import", "contacts", str(bad), ok=False)
    assert f"{bad}:2: has 2 cells where the header has 4" in result.stderr


def test_unknown_and_missing_columns_are_named(ledger, tmp_path):
    bad = write(tmp_path / "cols.csv", "client_id,nme,email\nC1,X,x@acme.example\n")
    result = ledger("import", "contacts", str(bad), ok=False)
    assert f"{bad}:1:nme: unknown column" in result.stderr
    assert f"{bad}:1:roles: missing column (it is required)" in result.stderr


def test_dry_run_checks_and_writes_nothing(ledger, tmp_path):
    before = snapshot()
    good = write(
        tmp_path / "more.csv",
        "invoice_number,client_id,issue_date,due_date,amount\nINV-20,C1,2026-03-01,2026-03-31,10.00\n",
    )
    result = ledger("import", "invoices", str(good), "--dry-run")
    assert "1 invoices rows checked, no problems" in result.output
    assert snapshot() == before
    ledger("import", "invoices", str(good))
    inv = Invoice.objects.get(number="INV-20")
    assert (inv.currency, inv.contract) == ("GBP", None)  # currency: the client's


def test_update_is_idempotent_and_without_it_an_existing_id_is_an_error(ledger, tmp_path, org):
    path = tmp_path / "invoices.csv"
    ledger("import", "invoices", str(path), ok=False)  # INV-1..3 exist already
    result = ledger("import", "invoices", str(path), "--update")
    assert "0 created, 0 updated, 3 unchanged" in result.output
    changed = write(tmp_path / "changed.csv", INVOICES.replace("1200.00", "1250.00"))
    result = ledger("import", "invoices", str(changed), "--update")
    assert "0 created, 1 updated, 2 unchanged" in result.output
    assert Invoice.objects.get(number="INV-1").total == Decimal("1250.00")
    for kind in ("clients", "contacts", "contracts"):
        result = ledger("import", kind, str(tmp_path / f"{kind}.csv"), "--update")
        assert "0 created, 0 updated" in result.output


def test_json_files_use_the_same_keys(ledger, tmp_path, org):
    data = [
        {
            "invoice_number": "J-1",
            "client_id": "C3",
            "issue_date": "2026-03-01",
            "due_date": "2026-03-31",
            "amount": 99.95,
        },
        {
            "invoice_number": "J-2",
            "client_id": "C3",
            "issue_date": "2026-03-01",
            "due_date": "2026-03-31",
            "amount": "10",
            "currency": "USD",
        },
    ]
    path = tmp_path / "inv.json"
    path.write_text(json.dumps(data))
    ledger("import", "invoices", str(path))
    assert Invoice.objects.get(number="J-1").total == Decimal("99.95")
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [
                {
                    "invoice_number": "J-3",
                    "client_id": "C3",
                    "issue_date": "2026-03-01",
                    "due_date": "2026-02-01",
                    "amount": "1,0",
                }
            ]
        )
    )
    result = ledger("import", "invoices", str(bad), ok=False)
    assert f"{bad}:1:due_date: 2026-02-01 is before the issue date 2026-03-01" in result.stderr
    assert f"{bad}:1:amount: '1,0' is not a plain decimal amount" in result.stderr


def test_payments_are_allocated_to_the_named_invoice_else_oldest_first_and_overpayment_is_credit(
    ledger, tmp_path, org
):
    payments = write(
        tmp_path / "payments.csv",
        """
payment_id,client_id,date,amount,currency,reference,method,invoice_number
P1,C1,2026-03-01,800.00,GBP,INV-2,bank_transfer,INV-2
P2,C1,2026-03-10,1000.00,GBP,,bank_transfer,
P3,C2,2026-03-11,5100.00,EUR,,,INV-3
""",
    )
    result = ledger("import", "payments", str(payments), ok=False)  # P3 pays 100.00 too much
    assert "P3 of 5100.00 EUR is more than client C2 still owes (5000.00 EUR)" in result.stderr
    result = ledger("import", "payments", str(payments), "--accept-warnings")
    assert "client C2: 100.00 EUR left as credit" in result.output
    inv1, inv2, inv3 = (Invoice.objects.get(number=n) for n in ("INV-1", "INV-2", "INV-3"))
    assert (inv2.status, inv2.paid) == (InvoiceStatus.PAID, Decimal("800"))
    assert (inv1.status, inv1.paid, inv1.outstanding) == (
        InvoiceStatus.PARTIALLY_PAID,
        Decimal("1000"),
        Decimal("200"),
    )
    assert inv3.status == InvoiceStatus.PAID
    p3 = Payment.objects.get(external_id="P3")
    assert p3.unallocated == Decimal("100")  # client credit
    # the next invoice uses the credit
    nxt = write(
        tmp_path / "next.csv",
        "invoice_number,client_id,issue_date,due_date,amount\nINV-4,C2,2026-04-01,2026-04-15,300.00\n",
    )
    ledger("import", "invoices", str(nxt))
    inv4 = Invoice.objects.get(number="INV-4")
    assert (inv4.paid, inv4.outstanding, inv4.status) == (
        Decimal("100"),
        Decimal("200"),
        InvoiceStatus.PARTIALLY_PAID,
    )
    assert Payment.objects.get(external_id="P3").unallocated == 0


def test_a_payment_for_another_clients_invoice_is_refused(ledger, tmp_path):
    bad = write(
        tmp_path / "p.csv",
        "payment_id,client_id,date,amount,invoice_number\nP9,C1,2026-03-01,10.00,INV-3\n",
    )
    result = ledger("import", "payments", str(bad), ok=False)
    assert f"{bad}:2:invoice_number: invoice 'INV-3' belongs to another client" in result.stderr


def test_time_entries_are_recognised_when_the_same_file_comes_again(ledger, tmp_path, org):
    path = write(tmp_path / "time.csv", TIME)
    ledger("import", "time-entries", str(path))
    assert TimeEntry.objects.for_org(org).count() == 3  # two identical rows are two entries
    assert TimeEntry.objects.for_org(org).filter(invoice__number="INV-1").count() == 2
    result = ledger("import", "time-entries", str(path), ok=False)
    assert "already exists" in result.stderr
    result = ledger("import", "time-entries", str(path), "--update")
    assert "0 created, 0 updated, 3 unchanged" in result.output


def test_imports_are_scoped_to_the_organisation(ledger, tmp_path, other_org):
    from .conftest import Cli

    outsider = Cli(other_org)
    path = write(
        tmp_path / "x.csv",
        "invoice_number,client_id,issue_date,due_date,amount\nINV-1,C1,2026-03-01,2026-03-31,10.00\n",
    )
    result = outsider("import", "invoices", str(path), ok=False)
    assert "unknown client 'C1'" in result.stderr  # the other organisation's client is invisible
    # the same client id and invoice number may exist in two organisations
    outsider("import", "clients", str(tmp_path / "clients.csv"))
    outsider("import", "invoices", str(path))
    assert Invoice.objects.filter(number="INV-1").count() == 2


def test_a_file_that_is_not_utf8_is_refused(ledger, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "client_id,name,email,roles\nC1,Jos\xe9,j@acme.example,billing\n".encode("latin-1")
    )
    result = ledger("import", "contacts", str(path), ok=False)
    assert "not UTF-8 text" in result.stderr
