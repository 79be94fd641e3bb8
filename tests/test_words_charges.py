"""Late-payment charges show where people look: in the client's timeline, and on the invoice in
`arrears plan --explain`."""

from __future__ import annotations

import json

import pytest

from .factory import ACME, import_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def charged(cli, tmp_path, org, smtp, monkeypatch):
    """The late notice (+21, Wednesday 22 April 2026) charges interest £8.11 and the fixed
    compensation £70.00 (worked out in tests/test_interest_apply.py)."""
    monkeypatch.setenv("ARREARS_CHARGE_AS", "interest-line")
    import_ledger(cli, tmp_path, **ACME)
    cli("apply", "--date", "2026-04-22")
    return cli


def test_the_timeline_lists_each_charge_with_its_basis(charged):
    rows = json.loads(charged("timeline", "C1", "--format", "json").output)
    charges = [r for r in rows if r["kind"] == "charge"]
    assert sorted((r["when"][:10], r["text"].split(" (")[0]) for r in charges) == [
        ("2026-04-22", "fixed compensation of £70.00 charged on INV-1 at late-notice"),
        ("2026-04-22", "interest of £8.11 charged on INV-1 at late-notice"),
    ]
    assert all("Late Payment of Commercial Debts" in r["text"] for r in charges)
    table = charged("timeline", "C1").output
    assert "interest of £8.11 charged on INV-1" in table


def test_plan_explain_shows_the_charges_on_the_invoice(charged):
    out = charged("plan", "--explain", "--date", "2026-04-23").output
    # the table folds a cell over lines: the invoice column, read down
    cells = [line.split("│")[2].strip() for line in out.splitlines() if line.startswith("│")]
    assert " ".join(cells) == "INV-1 (charged fixed compensation £70.00, interest £8.11)", out
    rows = json.loads(
        charged("plan", "--explain", "--date", "2026-04-23", "--format", "json").output
    )
    [idle] = [r for r in rows if r.get("invoice_number") == "INV-1"]
    assert idle["charges"] == "fixed compensation £70.00, interest £8.11"
    # without --explain the plan stays as it was
    plain = json.loads(charged("plan", "--date", "2026-04-23", "--format", "json").output)
    assert all("charges" not in r for r in plain)
