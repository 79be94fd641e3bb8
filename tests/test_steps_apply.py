"""The one step-date rule through `arrears plan` and `arrears apply` (docs/policy.md): what is
planned, the outbox row's send window, the message's "next step on ..." line and the step
records all follow the planner's rule, with the policy the planner chose for the invoice."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from arrears.dunning.models import OutboxAction, StepRecord

from .conftest import write
from .factory import import_ledger

pytestmark = pytest.mark.django_db

CLIENTS = """
client_id,name,country,timezone,currency,language
C1,Rheinland GmbH,DE,Europe/Berlin,EUR,en
"""
CONTACTS = """
client_id,name,email,roles
C1,Jonas Berger,ap@rheinland.example,billing
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,start_date,policy
K1,C1,tm,30,2025-01-01,
K2,C1,tm,30,2025-01-01,tight
"""
# a contract's own policy: a shorter ladder and a narrower send window than the client's default
TIGHT = """
name: tight
send_window: "10:00-12:00"
steps:
  - {id: due, offset_days: 0, kind: email, to: [billing]}
  - {id: nudge-3, offset_days: 3, kind: email, to: [billing]}
  - {id: reminder, offset_days: 7, kind: email, template: nudge-2, to: [billing]}
  - {id: late-notice, offset_days: 11, kind: email, to: [billing]}
"""


@pytest.fixture
def ledger(cli, tmp_path, org):
    cli("policy", "set", str(write(tmp_path / "tight.yaml", TIGHT)))
    import_ledger(cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS)

    def invoices(*rows):
        header = "invoice_number,client_id,contract_id,issue_date,due_date,amount,description\n"
        cli("import", "invoices", str(write(tmp_path / "inv.csv", header + "\n".join(rows) + "\n")))

    cli.invoices = invoices
    return cli


def planned(cli, day):
    rows = json.loads(cli("plan", "--date", day, "--format", "json").stdout)
    return [(r["step"], r["status"]) for r in rows if r["kind"] == "email"]


def steps_of(number):
    return dict(StepRecord.objects.filter(invoice__number=number).values_list("step", "state"))


def test_a_german_invoice_due_on_easter_saturday_gets_nudge_1_on_tuesday_and_no_due_reminder(
    ledger, smtp
):
    ledger.invoices("INV-1,C1,K1,2026-03-05,2026-04-04,900.00,March")
    ledger("apply", "--date", "2026-04-01")  # upcoming (-3), a Wednesday
    # `due` falls on Easter Monday, moved to Tuesday 7 April: nudge-1's own day (+3)
    assert planned(ledger, "2026-04-07") == [("nudge-1", "due")]
    ledger("apply", "--date", "2026-04-07")
    assert planned(ledger, "2026-04-08") == []
    ledger("apply", "--date", "2026-04-08")
    assert [m.header("X-Arrears-Key") for m in smtp.messages] == [
        "upcoming/C1/INV-1",
        "nudge-1/C1/INV-1",
    ]
    assert steps_of("INV-1") == {
        "upcoming": "performed",
        "due": "skipped",
        "nudge-1": "performed",
    }


def test_the_outbox_waits_for_the_send_window_of_the_policy_the_planner_used(ledger, smtp):
    ledger.invoices("INV-2,C1,K2,2026-02-25,2026-03-27,900.00,March")
    ledger("apply", "--date", "2026-03-30")  # nudge-3 (+3) under the contract's policy
    row = OutboxAction.objects.get(step="nudge-3")
    assert row.policy == "tight"
    # 10:00 in Berlin (summer time since 29 March), not the default policy's 08:00
    assert row.not_before == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert row.not_after == datetime(2026, 3, 30, 10, 0, tzinfo=UTC)


def test_the_next_step_a_message_announces_is_the_one_the_planner_sends_that_day(ledger, smtp):
    # due Friday 27 March: nudge-3 on Monday 30 March; `reminder` (+7) is Good Friday and moves
    # past Easter Monday to Tuesday 7 April, late-notice's own day (+11): late-notice goes then
    ledger.invoices("INV-2,C1,K2,2026-02-25,2026-03-27,900.00,March")
    ledger("apply", "--date", "2026-03-30")
    [m] = smtp.messages
    assert "the next step is a formal late notice on April 7, 2026" in " ".join(m.text.split())
    for quiet in ("2026-04-03", "2026-04-06"):
        assert planned(ledger, quiet) == []
    assert planned(ledger, "2026-04-07") == [("late-notice", "due")]
    ledger("apply", "--date", "2026-04-07")
    ledger("apply", "--date", "2026-04-08")
    assert [m.header("X-Arrears-Key") for m in smtp.messages] == [
        "nudge-3/C1/INV-2",
        "late-notice/C1/INV-2",
    ]
    assert steps_of("INV-2") == {
        "due": "skipped",
        "nudge-3": "performed",
        "reminder": "skipped",
        "late-notice": "performed",
    }
