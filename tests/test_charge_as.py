"""How late-payment charges are recorded is the organisation's choice (`arrears org set
charge-as`); ARREARS_CHARGE_AS is the default for an organisation that has not chosen."""

from __future__ import annotations

import json

import pytest

from arrears.charges.models import Charge
from arrears.ledger.models import Invoice, Organisation

from .factory import ACME, import_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(cli, tmp_path, org, smtp):
    """GBP 1,200 due 1 April 2026 under English law; its late notice goes on 22 April and
    states interest £8.11 and compensation £70.00 (worked out in test_interest_apply.py)."""
    import_ledger(cli, tmp_path, **ACME)
    return cli


def test_the_organisations_choice_wins_over_the_environment(ledger, monkeypatch):
    monkeypatch.setenv("ARREARS_CHARGE_AS", "interest-line")
    out = ledger("org", "set", "charge-as", "fee-invoice").output
    assert "late charges of Northwind Engineering: fee-invoice" in out
    ledger("apply", "--date", "2026-04-22")
    fee = Invoice.objects.get(number="INV-1-F1")
    assert str(fee.total) == "78.11"


def test_an_organisation_can_turn_charging_off_whatever_the_environment_says(ledger, monkeypatch):
    monkeypatch.setenv("ARREARS_CHARGE_AS", "fee-invoice")
    ledger("org", "set", "charge-as", "none")
    ledger("apply", "--date", "2026-04-22")
    assert not Charge.objects.exists()
    assert not Invoice.objects.filter(number__startswith="INV-1-F").exists()


def test_without_a_choice_the_environment_decides(ledger, monkeypatch):
    monkeypatch.setenv("ARREARS_CHARGE_AS", "fee-invoice")
    ledger("org", "set", "charge-as", "none")
    out = ledger("org", "set", "charge-as", "default").output
    assert "follow ARREARS_CHARGE_AS: fee-invoice" in out
    ledger("apply", "--date", "2026-04-22")
    assert Invoice.objects.filter(number="INV-1-F1").exists()


def test_a_value_not_allowed_is_refused_with_the_choices_and_changes_nothing(ledger, org):
    ledger("org", "set", "charge-as", "none")
    result = ledger("org", "set", "charge-as", "fees", ok=False)
    assert "'fees' is not one of interest-line, fee-invoice, none, default" in result.output
    assert Organisation.objects.get(pk=org.pk).charge_as == "none"


def test_org_show_says_the_setting_and_where_it_comes_from(ledger, monkeypatch):
    monkeypatch.setenv("ARREARS_CHARGE_AS", "none")
    assert "late charges    none (ARREARS_CHARGE_AS)" in ledger("org", "show").output
    shown = json.loads(ledger("org", "show", "--format", "json").output)
    assert shown["charge_as"] == {"value": "none", "from": "environment"}
    ledger("org", "set", "charge-as", "interest-line")
    assert "interest-line (set for the organisation)" in ledger("org", "show").output
    shown = json.loads(ledger("org", "show", "--format", "json").output)
    assert shown["charge_as"] == {"value": "interest-line", "from": "organisation"}
