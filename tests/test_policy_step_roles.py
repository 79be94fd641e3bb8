"""What a step does comes from the policy, never from its id: an organisation that renames the
formal late notice and maintenance mode in its own policy still charges interest at the one and
raises the client's service level at the other, through `arrears policy set` and
`arrears apply`, with a real SMTP server."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from arrears.charges.models import Charge
from arrears.core.levels import Level
from arrears.core.policy import PolicyError, parse_policy
from arrears.dunning.policy_store import default_text

from .conftest import write
from .factory import import_ledger

pytestmark = pytest.mark.django_db

# the default ladder with two steps renamed (and their words kept: the same templates)
RENAMED = (
    default_text()
    .replace("name: default", "name: renamed", 1)
    .replace("- id: late-notice\n", "- id: formal-notice\n    template: late-notice\n", 1)
    .replace("- id: maintenance\n", "- id: reduced-service\n    template: maintenance\n", 1)
    .replace("- id: recovery\n", "- id: collections\n    template: recovery\n", 1)
)
CLIENTS = """
client_id,name,country,timezone,currency,language,policy
C1,Acme Logistics,GB,Europe/London,GBP,en,renamed
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing|accounting|leadership|technical
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,service_modification_clause,start_date,governing_law
K1,C1,tm,30,yes,2025-01-01,GB
"""
# Due Monday 2 March 2026: +21 (the formal notice) Monday 23 March; +30 (reduced service)
# Wednesday 1 April, 9 days after the notice (7 days' notice needed). No English bank holiday.
INVOICES = """
invoice_number,client_id,contract_id,issue_date,due_date,amount,description
INV-1,C1,K1,2026-02-01,2026-03-02,1200.00,Platform engineering in February
"""


@pytest.fixture
def ledger(cli, tmp_path, org):
    org.accounts_email = "accounts@northwind.example"
    org.save()
    cli("policy", "set", str(write(tmp_path / "renamed.yaml", RENAMED)))
    import_ledger(
        cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS, invoices=INVOICES
    )
    return cli


def test_a_renamed_late_notice_still_charges_and_a_renamed_maintenance_still_reduces(
    ledger, smtp, monkeypatch
):
    monkeypatch.setenv("ARREARS_CHARGE_AS", "interest-line")
    ledger("apply", "--date", "2026-03-23")
    [notice] = [m for m in smtp.messages if m.subject.startswith("Formal notice")]
    # GBP 1,200 due 2 Mar; interest from 3 Mar at 3.75% + 8 = 11.75% a year; 3..23 Mar is
    # 21 days: 1,200 x 11.75% x 21/365 = 8.1123 -> 8.11; compensation (1,000..10,000) GBP 70
    assert "- INV-1: interest £8.11" in notice.text
    # the step after it is announced in the words of its template, not by its id
    assert "the next step is maintenance mode (non-essential work stops) on April 1" in notice.text
    charges = sorted(Charge.objects.values_list("kind", "step", "amount", "charged_on"))
    assert charges == [
        ("compensation", "formal-notice", Decimal("70.00"), date(2026, 3, 23)),
        ("interest", "formal-notice", Decimal("8.11"), date(2026, 3, 23)),
    ]

    ledger("apply", "--date", "2026-04-01")
    level = json.loads(ledger("level", "C1", "--format", "json").stdout)
    assert level["level"] == "maintenance"
    reduced = next(m for m in smtp.messages if m.subject.startswith("Service level reduced"))
    assert "- feature work" in reduced.text and "- production incidents" in reduced.text


def test_a_renamed_recovery_recommendation_reaches_the_leadership_digest(ledger, smtp):
    ledger("escalation", "--digest-email")
    ledger("apply", "--date", "2026-06-01")  # +91: the recommendation waits for an approval
    plan = json.loads(ledger("plan", "--date", "2026-06-01", "--format", "json").stdout)
    [key] = [a["key"] for a in plan if a["step"] == "collections"]
    ledger("approve", key, "--by", "owner@northwind.example", "--date", "2026-06-01")
    ledger("apply", "--date", "2026-06-01")
    ledger("apply", "--date", "2026-06-02")
    digests = [m for m in smtp.messages if m.header("X-Arrears-Key").startswith("digest/")]
    assert any("collections recommended for C1 Acme Logistics" in m.text for m in digests)


def without_new_keys(text: str) -> str:
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if line.strip().split(":")[0] not in ("brings", "charges", "pay_within_days")
    )


def test_a_policy_saved_before_the_keys_existed_reads_as_the_default_ladder():
    old = without_new_keys(default_text())
    assert "charges:" not in old and "brings:" not in old and "pay_within_days:" not in old
    assert parse_policy(old, "old") == parse_policy(default_text(), "new")


def test_the_default_ladder_says_what_its_steps_do():
    policy = parse_policy(default_text(), "default")
    assert {s.id: s.brings for s in policy.steps if s.brings} == {
        "maintenance": Level.MAINTENANCE,
        "work-stoppage": Level.STOPPED,
        "suspension": Level.SUSPENDED,
    }
    assert [s.id for s in policy.steps if s.charges] == ["late-notice", "final-demand"]
    assert [(s.id, s.pay_within_days) for s in policy.steps if s.pay_within_days] == [
        ("final-demand", 14)
    ]


def test_what_a_step_does_is_checked_against_its_kind_with_every_problem_together():
    text = (
        default_text()
        .replace("    charges: true       #", "    brings: stopped  #", 1)  # on an email
        .replace("    brings: stopped\n", "    brings: normal\n", 1)  # not a level it brings
        .replace("    brings: suspended\n", "    charges: yes please\n", 1)
        .replace("    pay_within_days: 14", "    pay_within_days: 0", 1)
    )
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "p.yaml")
    found = {(p.column, p.message) for p in caught.value.problems}
    assert found == {
        ("brings", "only a lever step brings a service level"),
        ("brings", "'normal': expected one of maintenance, stopped, suspended"),
        ("charges", "'yes please': expected true or false"),
        ("pay_within_days", "0 is not a number of days (1-365)"),
    }
