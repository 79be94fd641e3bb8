"""The check right before a send weighs each invoice by its own policy, as the planner did: one
message about two invoices of a client, one under its contract's strict policy (not chased
under £500) and one under the client's default policy (chased from £1), and a payment between
the day's planning and the send window that leaves £100 on the second."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from arrears.dunning.engine import deliver_due, run_day
from arrears.dunning.models import Message
from arrears.dunning.policy_store import default_text

from .conftest import write
from .factory import import_ledger

pytestmark = pytest.mark.django_db

STRICT = (
    default_text()
    .replace("name: default", "name: strict", 1)
    .replace('minimum_amount: "1.00"', 'minimum_amount: "500.00"', 1)
)
CLIENTS = """
client_id,name,country,timezone,currency,language
C1,Acme Logistics,GB-ENG,Europe/London,GBP,en
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,start_date,policy
K1,C1,tm,30,2025-01-01,strict
"""
INVOICES = """
invoice_number,client_id,contract_id,issue_date,due_date,amount,description
INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,Platform engineering in April
INV-2,C1,,2026-04-01,2026-05-05,800.00,Support in April
"""


def test_the_check_before_the_send_weighs_each_invoice_by_its_own_policy(cli, org, smtp, tmp_path):
    assert 'minimum_amount: "500.00"' in STRICT
    cli("policy", "set", str(write(tmp_path / "strict.yaml", STRICT)))
    import_ledger(
        cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS, invoices=INVOICES
    )
    # Friday 8 May, 06:00 London: nudge-1 for both, waiting for the 08:00 window
    run_day(org, date(2026, 5, 8), now=datetime(2026, 5, 8, 5, 0, tzinfo=UTC))
    cli("pay", "C1", "700.00", "--invoice", "INV-2", "--date", "2026-05-08")

    deliver_due(org, date(2026, 5, 8), now=datetime(2026, 5, 8, 9, 0, tzinfo=UTC))
    [message] = [m for m in smtp.messages if "ap@acme.example" in m.rcpt_tos]
    # INV-2 owes £100.00: above its own policy's minimum (£1), so it is still in the message
    assert "INV-2" in message.text and "£100.00" in message.text
    assert "INV-1" in message.text and "£1,200.00" in message.text
    assert sorted(Message.objects.get().invoices.values_list("number", flat=True)) == [
        "INV-1",
        "INV-2",
    ]
