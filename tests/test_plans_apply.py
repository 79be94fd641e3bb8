"""Payment plans end to end through `arrears plan-offer`, `plan-accept`, `pay` and `apply`,
with a real SMTP server: the offer with its PDF, the plan's own reminders, a missed instalment
that alerts the sales owner and leadership, voids the plan and resumes the ladder."""

from __future__ import annotations

import json

import pytest

from arrears.plans.models import PaymentPlan

from .factory import import_ledger

pytestmark = pytest.mark.django_db

CLIENTS = """
client_id,name,country,timezone,currency,language,sales_owner_email,delivery_lead_email
C1,Acme Logistics,GB-ENG,Europe/London,GBP,en,sam@northwind.example,dev@northwind.example
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing
C1,Fran Finance,finance@acme.example,accounting
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,service_modification_clause,stop_work_clause,suspension_rights_clause,start_date
K1,C1,tm,30,no,no,no,2025-01-01
"""
INVOICES = """
invoice_number,client_id,contract_id,issue_date,due_date,amount,description
INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,Platform engineering in April
"""
OWNER = "owner@northwind.example"  # the organisation's owner: leadership for alerts


@pytest.fixture
def ledger(cli, tmp_path, org):
    org.accounts_email = "accounts@northwind.example"
    org.save()
    import_ledger(
        cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS, invoices=INVOICES
    )
    return cli


def apply(cli, day):
    return cli("apply", "--date", day)


def keys_since(smtp, n):
    """The keys of the messages about C1 since the n-th (other apps' daily digests aside)."""
    return [k for m in smtp.messages[n:] if "/C1/" in (k := m.header("X-Arrears-Key"))]


def test_a_missed_instalment_voids_the_plan_and_resumes_the_ladder(ledger, smtp, tmp_path):
    apply(ledger, "2026-05-08")  # due Tuesday 5 May; +3: nudge-1
    assert keys_since(smtp, 0) == ["nudge-1/C1/INV-1"]

    # Monday 11 May: a plan of 3 × £400.00, monthly from Friday 15 May, sent with its PDF
    pdf = tmp_path / "plan.pdf"
    out = ledger(
        "plan-offer", "C1", "--instalments", "3", "--first", "2026-05-15",
        "--date", "2026-05-11", "--send", "-o", str(pdf), "--by", OWNER,
    )  # fmt: skip
    assert "P1 drafted for C1" in out.output and pdf.read_bytes().startswith(b"%PDF")
    ledger("deliver", "--date", "2026-05-11")
    offer = smtp.messages[-1]
    assert offer.header("X-Arrears-Key") == "plan-offer/C1/P1"
    assert offer.subject == "Payment plan P1: £1,200.00 in 3 instalments"
    assert offer.rcpt_tos == ["ap@acme.example", "finance@acme.example"]
    assert "1. May 15, 2026: £400.00" in offer.text and "3. Jul 15, 2026: £400.00" in offer.text
    [attached] = list(offer.message.iter_attachments())
    assert attached.get_filename() == "payment-plan-P1-C1.pdf"
    assert attached.get_content().startswith(b"%PDF")
    assert PaymentPlan.objects.get().status == "offered"

    ledger("plan-accept", "P1", "--by", OWNER)
    # Tuesday 12 May: nudge-2 (+7) would be due, but the invoice is on the plan; the plan's
    # own reminder (-3 before 15 May) goes out instead, once
    sent = len(smtp.messages)
    apply(ledger, "2026-05-12")
    apply(ledger, "2026-05-12")
    assert keys_since(smtp, sent) == ["plan-reminder/C1/P1#1"]
    [reminder] = [m for m in smtp.messages[sent:] if "ap@acme.example" in m.rcpt_tos]
    assert reminder.subject == "Payment plan P1: instalment 1 of 3 is due on May 15, 2026"
    assert "£400.00" in reminder.text and reminder.rcpt_tos[0] == "ap@acme.example"

    ledger("pay", "C1", "400.00", "--invoice", "INV-1", "--date", "2026-05-14")
    [plan] = json.loads(ledger("plans", "--format", "json").output)
    assert [i["paid"] for i in plan["instalments"]] == ["400.00", "0.00", "0.00"]

    # Friday 12 June: -3 before the second instalment (Monday 15 June); nothing on 13 June
    sent = len(smtp.messages)
    for day in ("2026-06-12", "2026-06-13", "2026-06-15"):
        apply(ledger, day)
    assert keys_since(smtp, sent) == ["plan-reminder/C1/P1#2"]

    # Thursday 18 June: the second instalment is 3 days late and missed
    sent = len(smtp.messages)
    apply(ledger, "2026-06-18")
    got = {m.header("X-Arrears-Key"): m for m in smtp.messages[sent:]}
    got = {k: m for k, m in got.items() if "/C1/" in k}
    assert sorted(got) == ["plan-missed/C1/P1#2", "plan-overdue/C1/P1#2"]
    alert = got["plan-missed/C1/P1#2"]
    assert sorted(alert.rcpt_tos) == [OWNER, "sam@northwind.example"]
    assert alert.subject == "Acme Logistics missed instalment 2 of payment plan P1"
    assert "The plan is now void" in alert.text and "£800.00" in alert.text
    overdue = got["plan-overdue/C1/P1#2"]
    assert overdue.rcpt_tos[0] == "ap@acme.example" and "has now ended" in overdue.text
    plan = PaymentPlan.objects.get()
    assert (plan.status, str(plan.closed_on)) == ("voided", "2026-06-18")
    story = ledger("timeline", "C1", "--format", "json").stdout
    assert "payment plan P1 accepted (staff, recorded by owner@northwind.example)" in story
    assert "payment plan P1 voided: instalment 2 was missed" in story

    # the next run: the ladder resumes at the invoice's current step (+44 days: late-notice),
    # for what is still owed
    sent = len(smtp.messages)
    apply(ledger, "2026-06-19")
    to_client = [m for m in smtp.messages[sent:] if "ap@acme.example" in m.rcpt_tos]
    assert [m.header("X-Arrears-Key") for m in to_client] == ["late-notice/C1/INV-1"]
    assert "£800.00" in to_client[0].text
    # and the plan says nothing more
    sent = len(smtp.messages)
    apply(ledger, "2026-07-12")
    assert not [k for k in keys_since(smtp, sent) if k.startswith("plan-")]


def test_a_missed_instalment_is_billed_the_plans_late_fee_once(ledger, smtp):
    """A plan of 2 x £600.00 from Friday 15 May with a £25.00 late fee per missed instalment;
    nothing is paid: on Monday 18 May (3 days' grace) the first is missed, the client is told,
    and the fee is billed once, as invoice P1-M1 due that day."""
    from datetime import date
    from decimal import Decimal

    from arrears.ledger.models import Invoice

    ledger(
        "plan-offer", "C1", "--instalments", "2", "--first", "2026-05-15", "--late-fee", "25.00",
        "--date", "2026-05-11", "--by", OWNER,
    )  # fmt: skip
    ledger("plan-accept", "P1", "--by", OWNER)
    for day in ("2026-05-18", "2026-05-18", "2026-05-19"):
        apply(ledger, day)
    told = [m for m in smtp.messages if m.header("X-Arrears-Key") == "plan-overdue/C1/P1#1"]
    assert len(told) == 1 and "£25.00" in told[0].text
    [fee] = Invoice.objects.filter(number__startswith="P1-M")
    assert (fee.number, fee.total, fee.currency, fee.due_date, fee.client.external_id) == (
        "P1-M1",
        Decimal("25.00"),
        "GBP",
        date(2026, 5, 18),
        "C1",
    )
    assert [line.amount for line in fee.lines.all()] == [Decimal("25.00")]


def test_a_miss_of_a_plan_that_says_work_stops_stands_the_team_down_until_paid(ledger, smtp):
    """A plan of 2 x £600.00 from Friday 15 May, `--on-miss stop-work`: the first instalment
    is missed on Monday 18 May, leadership is alerted, the client is told work pauses, and the
    service level goes to stopped (new time entries refused); paying the instalment restores."""
    ledger(
        "plan-offer", "C1", "--instalments", "2", "--first", "2026-05-15", "--on-miss",
        "stop-work", "--date", "2026-05-11", "--by", OWNER,
    )  # fmt: skip
    ledger("plan-accept", "P1", "--by", OWNER)
    apply(ledger, "2026-05-18")
    keys = [m.header("X-Arrears-Key") for m in smtp.messages]
    assert "plan-missed/C1/P1#1" in keys and "plan-overdue/C1/P1#1" in keys
    level = json.loads(ledger("level", "C1", "--format", "json").output)
    assert level["level"] == "stopped"
    assert "instalment 1 was missed, and the plan says work stops" in json.dumps(level)
    assert PaymentPlan.objects.get().status == "active"  # the plan goes on
    ledger("pay", "C1", "600.00", "--invoice", "INV-1", "--date", "2026-05-19")
    level = json.loads(ledger("level", "C1", "--format", "json").output)
    assert level["level"] == "normal"


def test_a_plan_accepted_after_the_days_planning_stops_the_queued_reminder(ledger, smtp, org):
    """A nudge queued at 06:00 for INV-1 (the client's send window opens at 08:00 London time),
    then a plan covering INV-1 accepted before it opens: the nudge is cancelled, not sent."""
    from datetime import UTC, date, datetime

    from arrears.dunning.engine import deliver_due, run_day
    from arrears.dunning.models import OutboxAction

    run_day(org, date(2026, 5, 8), now=datetime(2026, 5, 8, 5, 0, tzinfo=UTC))
    assert OutboxAction.objects.get(key="nudge-1/C1/INV-1").status == "queued"
    ledger(
        "plan-offer", "C1", "--instalments", "3", "--first", "2026-05-15",
        "--date", "2026-05-08", "--by", OWNER,
    )  # fmt: skip
    ledger("plan-accept", "P1", "--by", OWNER)

    deliver_due(org, date(2026, 5, 8), now=datetime(2026, 5, 8, 9, 0, tzinfo=UTC))
    assert "nudge-1/C1/INV-1" not in smtp.keys()
    row = OutboxAction.objects.get(key="nudge-1/C1/INV-1")
    assert (row.status, row.reason) == ("cancelled", "the invoices are on payment plan P1")
