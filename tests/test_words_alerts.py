"""The internal alert that rides along with a step says what happened to the client's message:
sent (to whom), or not sent and why (no billing contact, the address refused, paused), or
still waiting for the client's send window, and what to do about it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from arrears.dunning.compose import compose
from arrears.dunning.models import OutboxAction
from arrears.dunning.policy_store import default_text, parse
from arrears.ledger.models import Invoice

from .factory import email_action, import_ledger, make_client, make_invoice

pytestmark = pytest.mark.django_db

POLICY = parse(default_text(), "default")
CLIENTS = """
client_id,name,country,timezone,currency,language,sales_owner_email
C1,Acme Logistics,GB,Europe/London,GBP,en,sam@northwind.example
"""
# due Friday 24 April 2026: nudge-3 (+14, with its alert to the sales owner) on Friday 8 May
INVOICES = """
invoice_number,client_id,issue_date,due_date,amount,description
INV-1,C1,2026-03-25,2026-04-24,1200.00,Platform work
"""


@pytest.fixture
def ledger(cli, tmp_path, org):
    org.accounts_email = "accounts@northwind.example"
    org.save()

    def load(contacts: str):
        import_ledger(cli, tmp_path, clients=CLIENTS, contacts=contacts, invoices=INVOICES)

    cli.load = load
    return cli


def alert_of(smtp):
    [alert] = [m for m in smtp.messages if "sam@northwind.example" in m.rcpt_tos]
    return alert


def test_the_alert_says_nudge_3_was_not_sent_when_the_client_has_no_billing_contact(ledger, smtp):
    ledger.load("client_id,name,email,roles\nC1,Cass CTO,cto@acme.example,technical\n")
    ledger("apply", "--date", "2026-05-08")
    assert not [m for m in smtp.messages if "cto@acme.example" in m.rcpt_tos]
    alert = alert_of(smtp)
    assert alert.subject == "Acme Logistics: nudge-3 NOT sent for Invoice #INV-1"
    text = " ".join(alert.text.split())
    assert "has been sent" not in text and "was sent" not in text
    assert "nudge-3 was not sent: C1 has no billing contact to send to." in text
    assert "What to do: Add a contact with that role for C1" in text


def test_the_alert_says_the_address_was_refused_and_what_to_do(ledger, smtp):
    ledger.load("client_id,name,email,roles\nC1,Pat Payables,ap@acme.example,billing\n")
    smtp.refuse["ap@acme.example"] = "550 5.1.1 no such mailbox"
    ledger("apply", "--date", "2026-05-08", ok=False)  # a failed send exits 1
    alert = alert_of(smtp)
    assert alert.subject == "Acme Logistics: nudge-3 NOT sent for Invoice #INV-1"
    text = " ".join(alert.text.split())
    assert "nudge-3 was not sent: the mail server refused it" in text and "no such mailbox" in text
    assert "What to do: Correct the address in C1's contacts" in text


def test_the_alert_names_who_was_sent_the_message(ledger, smtp):
    ledger.load("client_id,name,email,roles\nC1,Pat Payables,ap@acme.example,billing\n")
    ledger("apply", "--date", "2026-05-08")
    alert = alert_of(smtp)
    assert alert.subject == "Acme Logistics: nudge-3 sent for Invoice #INV-1"
    assert "ap@acme.example" in alert.text and "What to do" not in alert.text


# -- the message's row as the alert finds it -------------------------------------------------
def _alert_about(org, message: OutboxAction):
    client = message.client
    inv = Invoice.objects.get(number="INV-1")
    alert = email_action(
        client,
        step="nudge-3-alert",
        on=date(2026, 5, 8),
        key="nudge-3-alert/C1/INV-1",
        kind="internal",
        template="step-alert",
        to=("sam@northwind.example",),
        data={"message": message.key, "message_status": "due"},
    )
    return compose(org, alert, [inv], POLICY, date(2026, 5, 8), dict(alert.data))


@pytest.fixture
def message(org):
    client = make_client(org, name="Rheinland GmbH", country="DE", language="de")
    make_invoice(client, issue_date=date(2026, 3, 25), due_date=date(2026, 4, 24))
    message = email_action(
        client,
        step="nudge-3",
        on=date(2026, 5, 8),
        key="nudge-3/C1/INV-1",
        to=("buchhaltung@rheinland.example",),
    )
    message.save()
    return message


def test_an_alert_sent_before_the_clients_send_window_says_when_the_message_goes_out(org, message):
    message.not_before = datetime(2099, 5, 8, 7, 0, tzinfo=UTC)  # 09:00 in Berlin
    message.save()
    out = _alert_about(org, message)
    assert out.subject == "Rheinland GmbH: nudge-3 queued for Invoice #INV-1"
    assert (
        "nudge-3 goes out to buchhaltung@rheinland.example at 09:00 on 2099-05-08 "
        "(Europe/Berlin), when the client's send window opens." in " ".join(out.text.split())
    )


def test_an_alert_about_a_message_cancelled_by_a_dispute_says_it_is_paused(org, message):
    message.status = "cancelled"
    message.reason = "INV-1 is disputed"
    message.save()
    out = _alert_about(org, message)
    text = " ".join(out.text.split())
    assert out.subject == "Rheinland GmbH: nudge-3 NOT sent for Invoice #INV-1"
    assert "nudge-3 was not sent: paused, as INV-1 is disputed." in text
    assert "What to do: Nothing for now: the reminders resume when the dispute is resolved" in text


def test_an_alert_about_a_message_the_server_deferred_says_when_it_is_tried_again(org, message):
    message.last_error = "SMTP 451 4.3.0 try again later"
    message.next_attempt_at = datetime(2099, 5, 8, 8, 30, tzinfo=UTC)  # 09:30 in London (BST)
    message.save()
    out = _alert_about(org, message)
    assert out.subject == "Rheinland GmbH: nudge-3 queued for Invoice #INV-1"
    assert (
        "nudge-3 is not sent yet: the mail server answered SMTP 451 4.3.0 try again later; it is "
        "tried again at 09:30 on 2099-05-08 (Europe/London)." in " ".join(out.text.split())
    )
