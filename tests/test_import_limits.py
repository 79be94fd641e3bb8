# ruff: noqa: F811  (the ledger fixture is imported from test_import)
"""What a ledger cannot hold is refused at import, named as FILE:ROW:COLUMN, in a dry run and a
real import alike: control characters in values, dates outside 1990-2100, amounts too large to
store exactly, and policies the organisation does not have (one line per policy, not per row)."""

from __future__ import annotations

import json

import pytest

from arrears.ledger.models import Client, Contract, Invoice, Payment

from .conftest import write
from .test_import import ledger, snapshot  # noqa: F401  (a fixture)

HEADER = "invoice_number,client_id,contract_id,issue_date,due_date,currency,amount,po_number,approver_email,description\n"


def test_a_client_id_with_a_line_break_is_refused_in_csv_and_json(ledger, tmp_path):
    before = snapshot()
    csv_file = write(
        tmp_path / "clients.csv",
        'client_id,name,country,timezone,currency\n"C7\r\nBcc: all@evil.example",Evil,GB,Europe/London,GBP\n',
    )
    result = ledger("import", "clients", str(csv_file), ok=False)
    assert (
        f"{csv_file}:2:client_id: contains a control character (CR, a carriage return) at "
        "character 3; this value must be one line of printable text"
    ) in result.stderr.splitlines()
    json_file = tmp_path / "clients.json"
    json_file.write_text(
        json.dumps(
            [
                {
                    "client_id": "C8",
                    "name": "Nul\u0000Corp",
                    "country": "GB",
                    "timezone": "Europe/London",
                    "currency": "GBP",
                }
            ]
        )
    )
    result = ledger("import", "clients", str(json_file), ok=False)
    assert f"{json_file}:1:name: contains a control character (NUL)" in result.stderr
    assert snapshot() == before


def test_every_one_line_field_refuses_control_characters_and_free_text_keeps_its_line_breaks(
    ledger,
    tmp_path,
):
    bad = write(
        tmp_path / "invoices.csv",
        HEADER
        + "INV-8\x0b,C1,K1,2026-03-01,2026-03-31,GBP,10.00,,,\n"
        + 'INV-9,C1,K1,2026-03-01,2026-03-31,GBP,10.00,"PO\n7",,\n'
        + 'INV-10,C1,K1,2026-03-01,2026-03-31,GBP,10.00,,"ap@acme.example\x85",\n'
        + 'INV-11,C1,K1,2026-03-01,2026-03-31,GBP,10.00,,,"Line one\nline two\tand a tab"\n',
    )
    result = ledger("import", "invoices", str(bad), ok=False)
    lines = result.stderr.splitlines()
    assert any(
        line.startswith(f"{bad}:2:invoice_number: contains a control character (U+000B)")
        for line in lines
    )
    assert any(
        line.startswith(f"{bad}:3:po_number: contains a control character (LF, a line feed)")
        for line in lines
    )
    assert any(
        line.startswith(f"{bad}:5:approver_email: contains a control character (U+0085)")
        for line in lines
    )
    assert "3 problem(s)" in result.stderr  # the description's line break and tab are fine
    good = write(
        tmp_path / "good.csv",
        HEADER + 'INV-11,C1,K1,2026-03-01,2026-03-31,GBP,10.00,,,"Line one\nline two\tand a tab"\n',
    )
    ledger("import", "invoices", str(good))
    assert Invoice.objects.get(number="INV-11").description == "Line one\nline two\tand a tab"


def test_a_nul_in_free_text_is_refused_too(ledger, tmp_path):
    bad = write(
        tmp_path / "write-offs.csv",
        "invoice_number,date,amount,reason\nINV-1,2026-03-01,10.00,bank\x00charges\n",
    )
    result = ledger("import", "write-offs", str(bad), ok=False)
    assert (
        f"{bad}:2:reason: contains a control character (NUL) at character 5; free text may "
        "hold tabs and line breaks, no other control characters"
    ) in result.stderr.splitlines()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1989-12-31", "2101-01-01"])
def test_dates_outside_1990_to_2100_are_refused_by_every_kind_with_dates(ledger, tmp_path, day):
    before = snapshot()
    files = {
        "invoices": (HEADER + f"INV-9,C1,K1,2026-03-01,{day},GBP,10.00,,,\n", "due_date"),
        "contracts": (
            f"contract_id,client_id,engagement,payment_terms_days,start_date\nK9,C1,tm,30,{day}\n",
            "start_date",
        ),
        "payments": (f"payment_id,client_id,date,amount\nP9,C1,{day},10.00\n", "date"),
        "credit-notes": (f"credit_note_number,client_id,date,amount\nCN9,C1,{day},10.00\n", "date"),
        "write-offs": (
            f"invoice_number,date,amount,reason\nINV-1,{day},10.00,bank charges\n",
            "date",
        ),
        "time-entries": (
            f"date,client_id,person,hours,bill_rate,cost_rate\n{day},C1,Ada,2,95,55\n",
            "date",
        ),
    }
    for kind, (text, column) in files.items():
        path = write(tmp_path / f"{kind}.csv", text)
        for dry in (("--dry-run",), ()):
            result = ledger("import", kind, str(path), *dry, ok=False)
            assert (
                f"{path}:2:{column}: {day} is outside the dates a ledger holds "
                "(1990-01-01 to 2100-12-31)"
            ) in result.stderr.splitlines(), (kind, result.stderr)
    assert snapshot() == before


def test_an_amount_too_large_to_store_is_refused_by_the_dry_run_and_the_import_alike(
    ledger, tmp_path
):
    huge = "99999999999999999999999.99"
    before = snapshot()
    files = {
        "invoices": (HEADER + f"INV-9,C1,K1,2026-03-01,2026-03-31,GBP,{huge},,,\n", "amount"),
        "payments": (f"payment_id,client_id,date,amount\nP9,C1,2026-03-01,{huge}\n", "amount"),
        "credit-notes": (
            f"credit_note_number,client_id,date,amount\nCN9,C1,2026-03-01,{huge}\n",
            "amount",
        ),
        "write-offs": (f"invoice_number,date,amount,reason\nINV-1,2026-03-01,{huge},x\n", "amount"),
        "contracts": (
            "contract_id,client_id,engagement,payment_terms_days,start_date,credit_limit\n"
            f"K9,C1,tm,30,2026-01-01,{huge}\n",
            "credit_limit",
        ),
        "time-entries": (
            f"date,client_id,person,hours,bill_rate,cost_rate\n2026-03-02,C1,Ada,2,{huge},55\n",
            "bill_rate",
        ),
    }
    for kind, (text, column) in files.items():
        path = write(tmp_path / f"{kind}.csv", text)
        for dry in (("--dry-run",), ()):
            result = ledger("import", kind, str(path), *dry, ok=False)
            assert (
                f"{path}:2:{column}: {huge}: too large; amounts are below 1,000,000,000,000 "
                "(one trillion)"
            ) in result.stderr.splitlines(), (kind, dry, result.stderr)
            assert "Traceback" not in result.output
    assert snapshot() == before
    # the largest amount the ledger holds goes in and comes out exact
    top = "999999999999.99"
    path = write(tmp_path / "top.csv", HEADER + f"INV-9,C1,K1,2026-03-01,2026-03-31,GBP,{top},,,\n")
    ledger("import", "invoices", str(path))
    assert str(Invoice.objects.get(number="INV-9").total) == top


def test_a_policy_that_does_not_exist_is_named_once_with_the_rows_that_use_it(
    ledger, tmp_path, org
):
    rows = "".join(
        f"X{n},Client {n},GB,Europe/London,GBP,{'strict' if n % 3 else 'gentle'}\n"
        for n in range(3000)
    )
    path = write(
        tmp_path / "clients.csv", "client_id,name,country,timezone,currency,policy\n" + rows
    )
    for dry in (("--dry-run",), ()):
        result = ledger("import", "clients", str(path), *dry, ok=False)
        assert result.stderr.splitlines() == [
            f"{path}: policy 'gentle' does not exist (used by 1,000 rows, first at row 2); "
            "import it first with arrears import policies FILE",
            f"{path}: policy 'strict' does not exist (used by 2,000 rows, first at row 3); "
            "import it first with arrears import policies FILE",
            f"error: 2 problem(s) in {path}; nothing was imported",
        ]
    assert not Client.objects.for_org(org).filter(external_id="X1").exists()
    contracts = write(
        tmp_path / "contracts.csv",
        "contract_id,client_id,engagement,payment_terms_days,start_date,policy\n"
        "K8,C1,tm,30,2026-01-01,strict\nK9,C2,tm,30,2026-01-01,strict\n",
    )
    result = ledger("import", "contracts", str(contracts), ok=False)
    assert (
        f"{contracts}: policy 'strict' does not exist (used by 2 rows, first at row 2); "
        "import it first with arrears import policies FILE"
    ) in result.stderr.splitlines()
    assert not Contract.objects.for_org(org).filter(external_id="K8").exists()
    assert not Payment.objects.exists()


def test_the_money_verbs_refuse_an_amount_too_large_with_a_clear_reason(ledger):
    huge = "99999999999999999999999.99"
    for args in (
        ("pay", "C1", huge, "--accept-warnings"),
        ("credit-note", "INV-1", huge, "--reason", "x"),
        ("write-off", "INV-1", "--amount", huge, "--reason", "x"),
    ):
        result = ledger(*args, ok=False)
        assert f"{huge}: too large; amounts are below 1,000,000,000,000" in result.stderr, args
        assert "Traceback" not in result.output
