"""The `arrears` command as a user meets it: help everywhere, clear errors, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from click.testing import CliRunner

from arrears.cli import main
from arrears.ledger.models import Invoice, Membership, Organisation

from .test_import import ledger  # noqa: F401 - the fixture


def test_every_verb_has_help():
    runner = CliRunner()
    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0
    for name in main.commands:
        assert name in top.output
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage: main " in result.output or "Usage:" in result.output


def run(home, *args, input=None):
    env = {**os.environ, "ARREARS_HOME": str(home)}
    env.pop("ARREARS_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "arrears", *args],
        env=env,
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
    )


def test_init_makes_a_database_an_organisation_and_an_owner_and_is_safe_to_repeat(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("a long enough passphrase\n")
    args = [
        "init",
        "--no-input",
        "--org",
        "Solo Dev",
        "--country",
        "DE",
        "--email",
        "me@solo.example",
        "--password-file",
        str(pw),
    ]
    first = run(tmp_path, *args)
    assert first.returncode == 0, first.stderr
    assert "organisation 'Solo Dev' created (slug solo-dev, EUR, Europe/Berlin)" in first.stdout
    assert (tmp_path / "arrears.sqlite3").exists() and (tmp_path / "secret_key").exists()
    again = run(tmp_path, *args)
    assert again.returncode == 0 and "already exists" in again.stdout
    aging = run(tmp_path, "aging")
    assert aging.returncode == 0 and "Nothing outstanding" in aging.stdout


def test_init_refuses_bad_input_and_creates_nothing(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("short\n")
    result = run(
        tmp_path,
        "init",
        "--no-input",
        "--org",
        "X",
        "--country",
        "UK",
        "--email",
        "not-an-email",
        "--password-file",
        str(pw),
    )
    assert result.returncode != 0
    assert "country: 'UK' is not an ISO 3166-1 alpha-2 country code" in result.stderr
    assert "email: 'not-an-email' is not an email address" in result.stderr
    assert "password:" in result.stderr
    assert run(tmp_path, "aging").returncode != 0  # no organisation was made


def test_verbs_before_init_say_what_to_do(tmp_path):
    result = run(tmp_path, "aging")
    assert result.returncode == 1
    assert "run `arrears init`" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_init_owner_can_log_in_and_is_the_owner(org):
    m = Membership.objects.get(organisation=org)
    assert m.role == "owner" and m.user.check_password("a long demo passphrase") and m.user.is_staff


@pytest.mark.django_db
def test_several_organisations_need_choosing(org, other_org):
    result = CliRunner().invoke(main, ["aging"])
    assert result.exit_code == 1 and "--org SLUG" in result.output
    assert Organisation.objects.count() == 2


def test_pay_credit_note_and_write_off_from_the_terminal(ledger):  # noqa: F811
    result = ledger("pay", "C1", "1500.00", "--date", "2026-03-01")
    assert "INV-1" in result.output and "INV-2" in result.output  # oldest first, then the next
    inv1, inv2 = Invoice.objects.get(number="INV-1"), Invoice.objects.get(number="INV-2")
    assert (inv1.status, inv2.outstanding) == ("paid", Decimal("500.00"))
    ledger("credit-note", "INV-2", "100.00", "--reason", "Late sprint demo")
    ledger("write-off", "INV-2", "--reason", "Small balance", "--date", "2026-04-01")
    inv2.refresh_from_db()
    assert (inv2.credited, inv2.written_off, inv2.status) == (
        Decimal("100"),
        Decimal("400"),
        "written_off",
    )
    assert "no invoice 'NOPE'" in ledger("write-off", "NOPE", "--reason", "x", ok=False).stderr
    assert "is not a plain decimal amount" in ledger("pay", "C1", "1,000", ok=False).stderr


def test_export_writes_the_import_format_to_standard_output(ledger):  # noqa: F811
    out = ledger("export", "invoices").stdout.splitlines()
    assert (
        out[0]
        == "invoice_number,client_id,contract_id,issue_date,due_date,currency,amount,po_number,approver_email,description"
    )
    assert out[1] == "INV-1,C1,K1,2026-01-05,2026-02-04,GBP,1200.00,,,January"
