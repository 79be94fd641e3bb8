"""Payment plans through the CLI: bad input is refused with the reason and changes nothing,
acceptance is recorded by staff, payments count toward the instalments, the plan pauses the
ladder, and a miss under `stop-work` keeps the plan and asks for a stoppage."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from arrears.channels.email.render import LANGUAGES
from arrears.dunning.compose import compose
from arrears.dunning.models import OutboxAction
from arrears.ledger.models import Client, Invoice, Membership
from arrears.plans.models import PaymentPlan

from .factory import import_ledger
from .test_plans_apply import CLIENTS, CONTACTS, CONTRACTS, OWNER

pytestmark = pytest.mark.django_db

INVOICES = """
invoice_number,client_id,contract_id,issue_date,due_date,amount,description
INV-1,C1,K1,2026-04-01,2026-05-05,700.00,April
INV-2,C1,K1,2026-05-01,2026-06-05,500.00,May
"""


@pytest.fixture
def ledger(cli, tmp_path, org, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the PDFs land here
    import_ledger(
        cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS, invoices=INVOICES
    )
    return cli


def offer(cli, *extra, ok=True):
    return cli(
        "plan-offer", "C1", "--instalments", "3", "--first", "2026-06-15", "--date", "2026-06-10",
        *extra, ok=ok,
    )  # fmt: skip


@pytest.mark.parametrize(
    "args, message",
    [
        (("--invoices", "INV-9"), "INV-9: not an open invoice of C1"),
        (("--first", "2026-06-01"), "the first instalment date 2026-06-01 is in the past"),
        (("--late-fee", "2,50"), "'2,50' is not a plain decimal late fee"),
        (("--late-fee", "2.505"), "the late fee 2.505 is not a whole amount of GBP"),
        (("--instalments", "200"), "200 is not in the range 1<=x<=120"),
    ],
)
def test_a_plan_that_cannot_be_drafted_is_refused_and_nothing_is_written(ledger, args, message):
    result = offer(ledger, *args, ok=False)
    assert message in " ".join(result.output.split())
    assert not PaymentPlan.objects.exists()


def test_an_unknown_client_is_named(ledger):
    result = ledger("plan-offer", "C9", "--instalments", "2", "--first", "2030-01-01", ok=False)
    assert "no client 'C9'" in result.output


def test_the_draft_covers_every_open_invoice_and_writes_the_pdf(ledger, tmp_path):
    out = offer(ledger).output
    assert "P1 drafted for C1" in out and (tmp_path / "payment-plan-P1-C1.pdf").exists()
    [plan] = json.loads(ledger("plans", "--format", "json").output)
    # 700.00 + 500.00 = 1200.00 in three: 400.00 each, monthly from 15 June
    assert plan["invoices"] == ["INV-1", "INV-2"] and plan["total"] == "1200.00"
    assert [(i["due_date"], i["amount"]) for i in plan["instalments"]] == [
        ("2026-06-15", "400.00"),
        ("2026-07-15", "400.00"),
        ("2026-08-15", "400.00"),
    ]
    assert plan["status"] == "draft"


def test_acceptance_is_recorded_by_staff_only_and_once(ledger, org):
    offer(ledger)
    outsider = get_user_model().objects.create_user("m", "member@northwind.example", "pw-long-x")
    Membership.objects.create(organisation=org, user=outsider, role="member")
    refused = ledger("plan-accept", "P1", "--by", "member@northwind.example", ok=False)
    assert "plans are recorded by the owner, leadership, accounting or sales" in refused.output
    assert "P1 is active" in ledger("plan-accept", "P1", "--by", OWNER).output
    again = ledger("plan-accept", "P1", "--by", OWNER, ok=False)
    assert "P1 is active: only a draft or offered plan is accepted" in again.output
    plan = PaymentPlan.objects.get()
    assert (plan.accepted_by, plan.accepted_how) == (OWNER, "staff")
    # a second plan over an invoice already on an active plan is refused
    clash = offer(ledger, "--invoices", "INV-2", ok=False)
    assert "INV-2 is already on the active plan P1" in clash.output


def test_covered_invoices_leave_the_ladder_while_the_plan_is_active(ledger):
    offer(ledger)
    ledger("plan-accept", "P1", "--by", OWNER)
    shown = ledger("plan", "--date", "2026-06-12", "--explain", "--format", "json").output
    rows = json.loads(shown)
    keys = [r["key"] for r in rows if "key" in r]
    assert keys == ["plan-reminder/C1/P1#1"]  # 3 days before 15 June; nothing of the ladder
    idle = {r["invoice_number"]: r["reason"] for r in rows if "key" not in r}
    assert idle == {
        "INV-1": "paused: covered by a payment plan",
        "INV-2": "paused: covered by a payment plan",
    }


def test_payments_count_toward_the_instalments_and_complete_the_plan(ledger):
    offer(ledger)
    ledger("plan-accept", "P1", "--by", OWNER)
    ledger("pay", "C1", "600.00", "--date", "2026-06-14")  # the first and half the second
    [plan] = json.loads(ledger("plans", "--format", "json").output)
    assert [i["paid"] for i in plan["instalments"]] == ["400.00", "200.00", "0.00"]
    ledger("pay", "C1", "600.00", "--date", "2026-07-14")
    [plan] = json.loads(ledger("plans", "--format", "json").output)
    assert plan["status"] == "completed"
    assert plan["closed_reason"] == "every instalment is paid"


def test_a_miss_under_stop_work_keeps_the_plan_and_asks_for_a_stoppage(ledger, smtp):
    offer(ledger, "--on-miss", "stop-work", "--late-fee", "25.00")
    ledger("plan-accept", "P1", "--by", OWNER)
    ledger("apply", "--date", "2026-06-18")  # 15 June unpaid, 3 days on: missed
    got = {m.header("X-Arrears-Key"): m for m in smtp.messages}
    alert, notice = got["plan-missed/C1/P1#1"], got["plan-overdue/C1/P1#1"]
    assert "asks for a work stoppage" in alert.text and "£25.00" in alert.text
    assert "pausing work for you" in notice.text
    assert "a late fee of £25.00 applies to each missed instalment" in " ".join(notice.text.split())
    assert PaymentPlan.objects.get().status == "active"
    assert not [k for k in got if k.startswith(("nudge", "late-notice"))]


def test_voiding_by_hand_needs_a_reason_and_resumes_the_ladder(ledger):
    offer(ledger)
    ledger("plan-accept", "P1", "--by", OWNER)
    out = ledger("plan-void", "P1", "--reason", "settling in full", "--by", OWNER).output
    assert "P1 voided" in out
    assert PaymentPlan.objects.get().status == "voided"
    assert (
        "only an active plan"
        in ledger("plan-void", "P1", "--reason", "x", "--by", OWNER, ok=False).output
    )


FIGURES = {
    "plan": "P1",
    "plan_pk": 1,
    "instalment": 2,
    "instalment_count": 3,
    "instalment_due": "15 July 2026",
    "instalment_amount": "£400.00",
    "instalment_owed": "£400.00",
    "plan_total": "£1,200.00",
    "plan_remaining": "£800.00",
    "on_miss": "void",
    "late_fee": "£25.00",
    "fees_due": "£25.00",
    "count": 3,
    "cadence_words": "monthly",
    "first_date": "15 June 2026",
    "first_amount": "£400.00",
    "schedule": [{"number": 1, "due": "15 Jun 2026", "amount": "£400.00"}],
    "grace_days": 3,
    "offer_until": "24 June 2026",
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", ["plan-offer", "plan-reminder", "plan-overdue", "plan-missed"])
def test_each_plan_message_reads_well_in_each_language(ledger, org, template, language):
    client = Client.objects.get(external_id="C1")
    client.language = language
    client.save()
    internal = template == "plan-missed"
    action = OutboxAction(
        organisation=org,
        key=f"{template}/C1/P1#2",
        client=client,
        step=template,
        kind="internal" if internal else "email",
        level="invoice",
        template=template,
        policy="default",
        scheduled_for=date(2026, 7, 18),
        to=["ap@acme.example"],
        data=FIGURES,
    )
    inv = Invoice.objects.get(number="INV-1")
    out = compose(org, action, [inv], None, date(2026, 7, 18), FIGURES)
    assert "P1" in out.subject
    for body in (out.text, out.html):
        assert "INV-1" in body and "{{" not in body and "{%" not in body
        assert "£400.00" in body or "£1,200.00" in body


def test_accepting_withdraws_a_reminder_still_waiting_in_the_outbox(ledger, smtp, monkeypatch):
    monkeypatch.setenv("ARREARS_RETRY_BASE_SECONDS", "0")
    smtp.fail_data = "451 4.3.0 try again later"
    ledger("apply", "--date", "2026-05-08", ok=False)  # nudge-1 for INV-1 queued, not sent
    assert OutboxAction.objects.get(key="nudge-1/C1/INV-1").status == "queued"
    offer(ledger)
    ledger("plan-accept", "P1", "--by", OWNER)
    withdrawn = OutboxAction.objects.get(key="nudge-1/C1/INV-1")
    assert (withdrawn.status, withdrawn.reason) == (
        "cancelled",
        "the invoices are on payment plan P1",
    )
    smtp.fail_data = None
    ledger("deliver", "--date", "2026-05-08")
    assert not [m for m in smtp.messages if "ap@acme.example" in m.rcpt_tos]


def test_an_offer_that_cannot_be_sent_is_not_drafted(ledger, tmp_path):
    from arrears.ledger.models import Contact

    Contact.objects.filter(email="ap@acme.example").delete()  # no billing contact left
    result = offer(ledger, "--send", ok=False)
    assert "C1 has no billing contact to send the plan to" in result.output
    assert not PaymentPlan.objects.exists() and not list(tmp_path.glob("*.pdf"))
