# ruff: noqa: F811  (the ledger fixture is imported from test_import)
"""Money typos are caught, not silently booked: more than the client owes, an invoice already
paid, the same payment twice, a date after today. Each is refused with the reason until
confirmed, by `arrears pay` and `arrears import payments` alike; an overpayment booked says it
became credit, and `aging` shows that credit."""

from __future__ import annotations

import json
from decimal import Decimal

from arrears.ledger.models import Invoice, Payment

from .conftest import write
from .test_import import ledger, snapshot  # noqa: F401  (a fixture)

# INV-1 (1200.00) and INV-2 (800.00) are C1's, in GBP: C1 owes 2000.00.


def test_a_payment_of_more_than_the_client_owes_is_refused_until_allowed(ledger, org):
    before = snapshot()
    result = ledger("pay", "C1", "2300.00", "--date", "2026-03-01", ok=False)
    assert (
        "is more than client C1 still owes (2000.00 GBP): 300.00 GBP would become the client's credit (--allow-overpayment to book it)"
        in result.stderr
    )
    assert snapshot() == before
    result = ledger("pay", "C1", "2300.00", "--date", "2026-03-01", "--allow-overpayment")
    assert "300.00 GBP left as the client's credit" in result.output
    assert Payment.objects.for_org(org).get().unallocated == Decimal("300.00")
    aging = json.loads(ledger("aging", "--date", "2026-03-02", "--format", "json").stdout)
    assert [r["client_id"] for r in aging["rows"]] == ["C2"]  # C1 owes nothing now
    assert aging["credits"] == [
        {"client_id": "C1", "client_name": "Acme Logistics", "currency": "GBP", "credit": "300.00"}
    ]
    table = ledger("aging", "--date", "2026-03-02").stdout
    assert "Acme Logistics (C1): 300" in table
    # before the payment was received, there was no credit
    assert (
        json.loads(ledger("aging", "--date", "2026-02-28", "--format", "json").stdout)["credits"]
        == []
    )


def test_a_payment_naming_an_invoice_already_paid_is_refused_until_allowed(ledger, org):
    ledger(
        "pay", "C1", "800.00", "--invoice", "INV-2", "--date", "2026-03-01", "--reference", "BACS 1"
    )
    result = ledger(
        "pay",
        "C1",
        "800.00",
        "--invoice",
        "INV-2",
        "--date",
        "2026-03-02",
        "--reference",
        "BACS 2",
        ok=False,
    )
    assert "invoice INV-2 is already settled (paid by" in result.stderr
    assert "--allow-duplicate to book it" in result.stderr
    ledger(
        "pay",
        "C1",
        "800.00",
        "--invoice",
        "INV-2",
        "--date",
        "2026-03-02",
        "--reference",
        "BACS 2",
        "--allow-duplicate",
    )
    assert Invoice.objects.get(number="INV-1").paid == Decimal("800.00")  # it went on INV-1


def test_the_same_client_amount_date_and_reference_twice_is_refused_until_allowed(ledger, org):
    args = ("pay", "C1", "100.00", "--date", "2026-03-01", "--reference", "BACS 1234")
    ledger(*args)
    result = ledger(*args, ok=False)
    assert (
        "the same client, amount (100.00 GBP), date and reference as payment PAY-" in result.stderr
    )
    assert Payment.objects.for_org(org).count() == 1
    ledger(*args, "--allow-duplicate")
    assert Payment.objects.for_org(org).count() == 2


def test_a_payment_dated_after_today_is_refused_until_confirmed(ledger, org):
    result = ledger("pay", "C1", "100.00", "--date", "2099-01-01", ok=False)
    assert "is dated 2099-01-01, after today" in result.stderr
    assert "--accept-warnings to book it" in result.stderr
    ledger("pay", "C1", "100.00", "--date", "2099-01-01", "--accept-warnings")
    result = ledger("pay", "C1", "100.00", "--date", "9999-12-31", "--accept-warnings", ok=False)
    assert "9999-12-31 is outside the dates a ledger holds" in result.stderr


def test_an_import_of_payments_names_each_typo_in_the_dry_run_and_the_import(ledger, tmp_path, org):
    ledger(
        "pay", "C1", "800.00", "--invoice", "INV-2", "--date", "2026-03-01", "--reference", "BACS 1"
    )
    path = write(
        tmp_path / "payments.csv",
        """
payment_id,client_id,date,amount,reference,invoice_number
P1,C1,2026-03-01,800.00,BACS 1,
P2,C1,2026-03-05,500.00,,INV-2
P3,C1,2099-03-05,10.00,,
P4,C2,2026-03-05,6000.00,,
""",
    )
    before = snapshot()
    for dry in (("--dry-run",), ()):
        lines = ledger("import", "payments", str(path), *dry, ok=False).stderr.splitlines()
        assert any(
            line.startswith(
                f"{path}:2:reference: P1 has the same client, amount (800.00 GBP), date and reference as payment PAY-"
            )
            for line in lines
        ), lines
        assert any(
            line.startswith(
                f"{path}:3:invoice_number: invoice INV-2 is already settled (paid by PAY-"
            )
            for line in lines
        ), lines
        assert any(
            line.startswith(f"{path}:4:date: P3 is dated 2099-03-05, after today") for line in lines
        ), lines
        assert (
            f"{path}:5:amount: P4 of 6000.00 EUR is more than client C2 still owes (5000.00 EUR): 1000.00 EUR would become the client's credit (--accept-warnings to book it)"
            in lines
        )
        assert snapshot() == before
    result = ledger("import", "payments", str(path), "--accept-warnings")
    assert "4 created" in result.output
    assert "client C2: 1000.00 EUR left as credit" in result.output
