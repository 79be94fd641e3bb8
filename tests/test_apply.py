"""`arrears apply` end to end against a real SMTP server: the right message to the right
people on the right day, exactly once."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from arrears.dunning.models import Message, OutboxAction, StepRecord
from arrears.ledger.models import Invoice

from .conftest import write
from .factory import import_ledger

pytestmark = pytest.mark.django_db

CLIENTS = """
client_id,name,country,timezone,currency,language,sales_owner_email,delivery_lead_email
C1,Acme Logistics,GB-ENG,Europe/London,GBP,en,sam@northwind.example,dev@northwind.example
C2,Rheinland GmbH,DE-BY,Europe/Berlin,EUR,de,sam@northwind.example,
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing
C1,Fran Finance,finance@acme.example,accounting|approver
C1,,info@acme.example,general
C1,Cass CTO,cto@acme.example,leadership|technical
C2,Jonas Berger,buchhaltung@rheinland.example,billing|accounting
C2,,info@rheinland.example,general
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,service_modification_clause,stop_work_clause,suspension_rights_clause,start_date
K1,C1,tm,30,yes,yes,no,2025-01-01
K2,C2,retainer,30,no,no,no,2025-01-01
"""


@pytest.fixture
def ledger(cli, tmp_path, org):
    org.accounts_email = "accounts@northwind.example"
    org.save()
    import_ledger(cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS)

    def invoices(*rows):
        header = "invoice_number,client_id,contract_id,issue_date,due_date,amount,description\n"
        cli("import", "invoices", str(write(tmp_path / "inv.csv", header + "\n".join(rows) + "\n")))

    cli.invoices = invoices
    return cli


def pdf_text(data: bytes) -> str:
    """A PDF's text as poppler's pdftotext reads it (the Debian package the tests set up)."""
    import subprocess

    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def apply(cli, day, ok=True):
    return cli("apply", "--date", day, ok=ok)


def test_nudge_1_goes_to_billing_cc_accounting_and_the_alias_once(ledger, smtp):
    ledger.invoices("INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,Platform engineering in April")
    out = apply(ledger, "2026-05-08")  # due Tuesday 5 May; +3 is Friday 8 May
    assert "1 queued, 1 sent" in out.output
    [m] = smtp.messages
    assert m.subject == "Follow-up: Invoice #INV-1 [OVERDUE]"
    assert m.header("To") == "Pat Payables <ap@acme.example>" or m.header("To") == "ap@acme.example"
    assert m.header("Cc") == "finance@acme.example, info@acme.example"
    assert sorted(m.rcpt_tos) == ["ap@acme.example", "finance@acme.example", "info@acme.example"]
    assert m.header("Reply-To") == "accounts@northwind.example"
    assert (
        m.header("Message-ID").startswith("<") and m.header("X-Arrears-Key") == "nudge-1/C1/INV-1"
    )
    assert "£1,200.00" in m.text and "confirm the date you expect to pay" in m.text
    assert "<td>INV-1</td>" in m.html
    # the earlier steps were skipped, not sent, and the run again sends nothing
    states = dict(StepRecord.objects.filter(invoice__number="INV-1").values_list("step", "state"))
    assert states == {"upcoming": "skipped", "due": "skipped", "nudge-1": "performed"}
    assert "0 queued, 0 sent" in apply(ledger, "2026-05-08").output
    assert len(smtp.messages) == 1
    stored = Message.objects.get()
    assert (stored.subject, stored.to, stored.message_id) == (
        m.subject,
        ["ap@acme.example"],
        m.header("Message-ID"),
    )


def test_later_messages_thread_under_the_earlier_ones(ledger, smtp):
    ledger.invoices("INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April")
    apply(ledger, "2026-05-08")
    apply(ledger, "2026-05-12")  # +7
    first, second = smtp.messages
    assert second.subject == "Second reminder: Invoice #INV-1 [OVERDUE]"
    assert second.header("In-Reply-To") == first.header("Message-ID")
    assert first.header("Message-ID") in second.header("References")


def test_one_message_per_client_per_day_listing_each_invoice(ledger, smtp):
    ledger.invoices(
        "INV-1,C1,K1,2026-03-01,2026-04-24,800.00,March",  # +14 on Friday 8 May: nudge-3
        "INV-2,C1,K1,2026-04-01,2026-05-05,1200.00,April",  # +3: nudge-1
        "INV-3,C2,K2,2026-04-01,2026-05-05,5000.00,Retainer",  # another client
    )
    apply(ledger, "2026-05-08")
    to_acme = [m for m in smtp.messages if "ap@acme.example" in m.rcpt_tos]
    assert len(to_acme) == 1
    m = to_acme[0]
    assert m.subject == "Invoices #INV-1, #INV-2: up to 14 days overdue"
    assert "INV-1" in m.text and "INV-2" in m.text and "£2,000.00" in m.text
    alerts = [m for m in smtp.messages if "sam@northwind.example" in m.rcpt_tos]
    assert [a.subject for a in alerts] == ["Acme Logistics: nudge-3 sent for Invoice #INV-1"]
    german = [m for m in smtp.messages if "buchhaltung@rheinland.example" in m.rcpt_tos]
    assert german[0].subject == "Nachfrage: Rechnung #INV-3 [ÜBERFÄLLIG]"
    assert "5.000,00\xa0€" in german[0].text


def test_a_payment_recorded_after_planning_cancels_the_reminder(ledger, smtp, monkeypatch):
    monkeypatch.setenv("ARREARS_RETRY_BASE_SECONDS", "0")
    ledger.invoices("INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April")
    smtp.fail_data = "451 4.3.0 try again later"
    out = apply(ledger, "2026-05-08", ok=False)  # queued; the server said "later"
    assert "1 to retry" in out.output and smtp.messages == []
    ledger("pay", "C1", "1200.00", "--date", "2026-05-08")
    smtp.fail_data = None
    out = apply(ledger, "2026-05-08")
    assert "1 cancelled" in out.output and smtp.messages == []
    assert OutboxAction.objects.get().reason == "INV-1 is paid"


def test_a_temporary_failure_is_retried_on_a_later_run(ledger, smtp, monkeypatch):
    monkeypatch.setenv("ARREARS_RETRY_BASE_SECONDS", "0")
    ledger.invoices("INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April")
    smtp.fail_data = "421 4.7.0 too busy"
    assert apply(ledger, "2026-05-08", ok=False).exit_code == 1
    smtp.fail_data = None
    assert "1 sent" in apply(ledger, "2026-05-08").output
    assert [m.subject for m in smtp.messages] == ["Follow-up: Invoice #INV-1 [OVERDUE]"]


def test_each_answer_to_the_end_of_a_message_is_read_for_that_message(ledger, smtp):
    """The server's answer to a message's data is read while the next message is prepared: a
    refusal of the first is recorded for the first, and the second still goes out, once."""
    smtp.fail_data_for["ap@acme.example"] = "554 5.7.1 message refused"
    ledger.invoices(
        "INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April",
        "INV-2,C2,K2,2026-04-01,2026-05-05,5000.00,April",
    )
    out = apply(ledger, "2026-05-08", ok=False)
    assert "1 failed" in out.output and "SMTP 554: 5.7.1 message refused" in out.stderr
    status = dict(OutboxAction.objects.values_list("key", "status"))
    assert status == {
        "nudge-1/C1/INV-1": "failed",
        "nudge-1/C2/INV-2": "sent",
        "send-failed/2026-05-08": "sent",  # the team hears of it in the same run
    }
    nudge, alert = smtp.messages
    assert nudge.subject == "Nachfrage: Rechnung #INV-2 [ÜBERFÄLLIG]"
    assert nudge.rcpt_tos == ["buchhaltung@rheinland.example", "info@rheinland.example"]
    assert "nudge-1/C1/INV-1 (Acme Logistics): SMTP 554" in alert.text
    assert sorted(Message.objects.values_list("action__key", flat=True)) == [
        "nudge-1/C2/INV-2",
        "send-failed/2026-05-08",
    ]
    assert not StepRecord.objects.filter(invoice__number="INV-1", step="nudge-1").exists()


def test_one_connection_serves_the_run_through_refused_recipients_and_messages(ledger, smtp):
    """A recipient refused among others is reported, a message nobody can receive fails, the
    others go out: the server's refusals leave the connection open for the next message."""
    smtp.refuse["info@acme.example"] = "550 5.1.1 no such mailbox"
    for address in ("buchhaltung@rheinland.example", "info@rheinland.example"):
        smtp.refuse[address] = "550 5.1.1 no such mailbox"
    ledger.invoices(
        "INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April",
        "INV-2,C2,K2,2026-04-01,2026-05-05,5000.00,April",
    )
    out = apply(ledger, "2026-05-08", ok=False)
    status = dict(OutboxAction.objects.values_list("key", "status"))
    assert status == {
        "nudge-1/C1/INV-1": "sent",
        "nudge-1/C2/INV-2": "failed",
        "send-failed/2026-05-08": "sent",
    }
    assert "sent, but the mail server refused info@acme.example (550" in out.stderr
    nudge, alert = smtp.messages
    assert nudge.subject == "Follow-up: Invoice #INV-1 [OVERDUE]"
    assert sorted(nudge.rcpt_tos) == ["ap@acme.example", "finance@acme.example"]
    assert (
        "nudge-1/C2/INV-2 (Rheinland GmbH): recipients refused: "
        "buchhaltung@rheinland.example (550 5.1.1 no such mailbox)" in alert.text
    )
    assert smtp.greetings == 1  # one connection, one EHLO, for the whole run


def test_a_permanent_failure_is_marked_failed_and_alerted(ledger, smtp):
    for address in ("ap@acme.example", "finance@acme.example", "info@acme.example"):
        smtp.refuse[address] = "550 5.1.1 no such mailbox"
    ledger.invoices("INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April")
    out = apply(ledger, "2026-05-08", ok=False)
    assert "1 failed" in out.output and "no such mailbox" in out.stderr
    action = OutboxAction.objects.get(key="nudge-1/C1/INV-1")
    assert action.status == "failed"
    assert not StepRecord.objects.filter(step="nudge-1").exists()  # not performed
    out = apply(ledger, "2026-05-08")  # the alert to the team goes out on the next run
    alert = smtp.messages[-1]
    assert alert.subject == "1 message could not be sent"
    assert alert.rcpt_tos == ["accounts@northwind.example"] and "no such mailbox" in alert.text
    assert "nudge-1/C1/INV-1 (Acme Logistics)" in alert.text


def test_dispute_and_promise_pause_and_resolve_resumes(ledger, smtp):
    ledger.invoices("INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April")
    ledger("dispute", "INV-1", "--reason", "administrative", "--note", "no PO number")
    assert "0 queued" in apply(ledger, "2026-05-08").output
    plan = json.loads(
        ledger("plan", "--date", "2026-05-08", "--explain", "--format", "json").stdout
    )
    assert plan == [
        {
            "client_id": "C1",
            "invoice_number": "INV-1",
            "status": "idle",
            "reason": "paused: disputed (administrative)",
            "next_step": None,
            "next_on": None,
        }
    ]
    ledger("resolve", "INV-1")
    ledger("promise", "INV-1", "--until", "2099-01-01")
    assert "0 queued" in apply(ledger, "2026-05-12").output
    # nothing to the client; only the internal alert routing the dispute (docs/exposure.md)
    [key] = smtp.keys()
    assert key.startswith("dispute/INV-1/") and smtp.messages[0].rcpt_tos == [
        "accounts@northwind.example"
    ]


def test_plan_json_has_the_documented_keys(ledger):
    ledger.invoices("INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April")
    [row] = json.loads(ledger("plan", "--date", "2026-05-08", "--format", "json").stdout)
    assert {
        "key",
        "client_id",
        "step",
        "kind",
        "status",
        "scheduled_for",
        "to",
        "cc",
        "items",
        "reason",
    } <= set(row)
    assert row["items"] == [
        {
            "invoice_number": "INV-1",
            "step": "nudge-1",
            "outstanding": "1200.00",
            "currency": "GBP",
            "due_date": "2026-05-05",
            "days_overdue": 3,
        }
    ]
    assert (row["status"], row["scheduled_for"], row["to"]) == (
        "due",
        "2026-05-08",
        ["ap@acme.example"],
    )


def test_approvals_need_the_right_person_and_then_the_step_is_done(ledger, smtp, other_org):
    from django.contrib.auth.models import User

    from arrears.ledger.models import Membership

    sales = User.objects.create_user("sam", "sam@northwind.example", "pw-long-enough")
    Membership.objects.create(organisation=ledger.org, user=sales, role="sales")
    ledger.invoices("INV-1,C1,K1,2026-01-01,2026-02-02,900.00,January")
    day = "2026-04-20"  # +77: final demand, which needs an approval
    rows = json.loads(ledger("plan", "--date", day, "--format", "json").stdout)
    letter = next(r for r in rows if r["step"] == "final-demand")
    assert letter["status"] == "needs_approval" and letter["kind"] == "letter"
    assert "1 need approval" in apply(ledger, day).output
    assert not [m for m in smtp.messages if m.subject.startswith("Letter before action")]
    refused = ledger(
        "approve", letter["key"], "--by", "sam@northwind.example", "--date", day, ok=False
    )
    assert "approvals need the owner or leadership role" in refused.stderr
    outsider = ledger(
        "approve", letter["key"], "--by", "boss@contoso.example", "--date", day, ok=False
    )
    assert "not a member" in outsider.stderr
    ledger("approve", letter["key"], "--by", "owner@northwind.example", "--date", day)
    apply(ledger, day)
    [demand] = [m for m in smtp.messages if m.subject.startswith("Letter before action")]
    assert (
        demand.subject == "Letter before action: Invoice #INV-1" and "within 14 days" in demand.text
    )
    # and the letter itself, as a PDF: the same words on the letterhead, dated the day sent
    [pdf] = list(demand.message.iter_attachments())
    assert pdf.get_filename() == "final-demand-C1-2026-04-20.pdf"
    assert pdf.get_content_type() == "application/pdf"
    printed = pdf_text(pdf.get_content())
    assert "Northwind Engineering" in printed and "Acme Logistics" in printed
    assert "Letter before action: Invoice #INV-1" in printed and "within 14 days" in printed
    assert "20 April 2026" in printed and "For the attention of Pat Payables" in printed
    timeline = ledger("timeline", "C1", "--format", "json").stdout
    assert "approved by owner@northwind.example" in timeline and "Letter before action" in timeline


def test_a_lever_without_its_clause_is_blocked_and_never_sent(ledger, smtp):
    ledger.invoices("INV-3,C2,K2,2026-01-01,2026-01-30,5000.00,Retainer")  # K2: no clauses
    rows = json.loads(ledger("plan", "--date", "2026-03-02", "--format", "json").stdout)
    maintenance = next(r for r in rows if r["step"] == "maintenance")
    assert (
        maintenance["status"] == "blocked"
        and "has no service_modification_clause" in maintenance["reason"]
    )


def test_the_timeline_shows_what_was_sent(ledger, smtp):
    ledger.invoices("INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April")
    apply(ledger, "2026-05-08")
    events = json.loads(ledger("timeline", "C1", "--format", "json").stdout)
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "invoice" and "sent:email" in kinds and kinds.count("skipped") == 2
    sent = next(e for e in events if e["kind"] == "sent:email")
    assert sent["text"].startswith(
        "nudge-1: “Follow-up: Invoice #INV-1 [OVERDUE]” to ap@acme.example"
    )
    assert "Acme Logistics (C1)" in ledger("timeline", "C1").stdout


def test_a_written_off_or_paid_invoice_gets_nothing(ledger, smtp):
    ledger.invoices(
        "INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April",
        "INV-2,C1,K1,2026-04-01,2026-05-05,50.00,x",
    )
    ledger("write-off", "INV-1", "--reason", "settled out of court")
    ledger("pay", "C1", "50.00", "--invoice", "INV-2")
    assert "0 queued" in apply(ledger, "2026-05-08").output
    assert Invoice.objects.get(number="INV-1").outstanding == Decimal("0")
    assert date(2026, 5, 8) and smtp.messages == []


def test_the_daily_job_in_the_server_runs_once_a_day(ledger, smtp):
    from datetime import timedelta

    from arrears.dunning.models import Promise, Run
    from arrears.dunning.scheduler import tick
    from arrears.ledger.reports import org_today

    today = org_today(ledger.org)
    issue, due = today - timedelta(days=60), today - timedelta(days=30)
    ledger.invoices(f"INV-9,C1,K1,{issue},{due},700.00,Old work")
    Promise.objects.create(
        organisation=ledger.org,
        invoice=Invoice.objects.get(number="INV-9"),
        until=today - timedelta(days=10),
        made_on=today - timedelta(days=20),
    )
    ledger.org.daily_run_hour = 0
    ledger.org.save()
    first = tick()
    assert first and first[0].startswith(f"{ledger.org.slug}: daily run {today}")
    assert Run.objects.filter(daily=True, on=today).count() == 1
    assert any(
        m.subject == "Acme Logistics broke a promise to pay Invoice #INV-9" for m in smtp.messages
    )
    second = tick()
    assert not any("daily run" in line for line in second)
    assert Run.objects.filter(daily=True).count() == 1


def test_a_later_message_supersedes_one_still_waiting_for_the_send_window(ledger, smtp):
    """Queued at 06:00 London time on Friday 8 May, before the 08:00 send window, nudge-1
    still waits when Tuesday 12 May's run (again before the window) plans nudge-2: the client
    gets the later message only, once the window opens."""
    from datetime import UTC, datetime

    from arrears.dunning.engine import deliver_due, run_day

    ledger.invoices("INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April")
    run_day(ledger.org, date(2026, 5, 8), now=datetime(2026, 5, 8, 5, 0, tzinfo=UTC))
    assert smtp.messages == []
    run_day(ledger.org, date(2026, 5, 12), now=datetime(2026, 5, 12, 5, 0, tzinfo=UTC))
    first = OutboxAction.objects.get(key="nudge-1/C1/INV-1")
    assert (first.status, first.reason) == ("cancelled", "superseded by a later message")
    deliver_due(ledger.org, date(2026, 5, 12), now=datetime(2026, 5, 12, 8, 30, tzinfo=UTC))
    assert smtp.keys() == ["nudge-2/C1/INV-1"]
