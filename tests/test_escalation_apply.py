"""Internal escalation end to end through `arrears apply`, with a real SMTP server and a real
HTTP server: stand-down recommendations, exposure alerts, routed disputes, approvals that wait,
the leadership digest. Each arrives once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model

from arrears.ledger.models import Membership

from .conftest import write
from .factory import import_ledger

pytestmark = pytest.mark.django_db

CLIENTS = """
client_id,name,country,timezone,currency,language,sales_owner_email,delivery_lead_email
C1,Acme Logistics,GB-ENG,Europe/London,GBP,en,sam@northwind.example,dev@northwind.example
C2,Bolt Robotics,GB-ENG,Europe/London,GBP,en,sam@northwind.example,
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing|accounting
C2,Bo Books,ap@bolt.example,billing|accounting
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,stop_work_clause,credit_limit,stop_work_threshold_days,start_date
K1,C1,tm,30,no,5000.00,40,2025-01-01
K2,C2,fixed,30,yes,,,2025-01-01
"""
ENTRIES = """
date,client_id,contract_id,person,hours,bill_rate,cost_rate,description
2026-05-04,C1,K1,Ada,10,100.00,60.00,Pipeline work
2026-05-05,C1,K1,Ada,10,100.00,60.00,Pipeline work
2026-05-06,C1,K1,Ada,10,100.00,60.00,Pipeline work
"""


@pytest.fixture
def ledger(cli, tmp_path, org):
    org.accounts_email = "accounts@northwind.example"
    org.save()
    User = get_user_model()
    accountant = User.objects.create_user("acc", "acc@northwind.example", "pw-long-enough")
    Membership.objects.create(organisation=org, user=accountant, role="accounting")
    import_ledger(
        cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS, time_entries=ENTRIES
    )

    def invoices(*rows):
        header = "invoice_number,client_id,contract_id,issue_date,due_date,amount,description\n"
        cli("import", "invoices", str(write(tmp_path / "inv.csv", header + "\n".join(rows) + "\n")))

    cli.invoices = invoices
    return cli


def apply(cli, day, ok=True):
    return cli("apply", "--date", day, ok=ok)


def of(smtp, prefix):
    return [m for m in smtp.messages if m.header("X-Arrears-Key").startswith(prefix)]


def test_a_client_past_its_credit_limit_gets_one_stand_down_recommendation(ledger, smtp):
    ledger.invoices("INV-1,C1,K1,2026-04-01,2026-05-05,3000.00,April")
    plan = json.loads(ledger("plan", "--date", "2026-05-08", "--format", "json").stdout)
    [planned] = [a for a in plan if a["step"] == "stand-down"]
    assert (planned["kind"], planned["status"]) == ("escalation", "due")
    # exposure on 8 May: 3,000 overdue + 30h x 100 unbilled = 6,000, past the 5,000 limit
    out = apply(ledger, "2026-05-08").output
    assert "2 queued, 2 sent, 0 cancelled" in out  # the nudge, and the recommendation
    assert out.strip().endswith("; of those sent, 1 by escalation")
    [m] = of(smtp, "stand-down/")
    assert m.header("X-Arrears-Key") == "stand-down/C1/INV-1"
    assert sorted(m.rcpt_tos) == [
        "dev@northwind.example",
        "owner@northwind.example",
        "sam@northwind.example",
    ]
    assert m.subject == "Stand-down recommended: Acme Logistics (C1)"
    assert "exposure 6000.00 GBP has reached the credit limit of 5000.00 GBP" in m.text
    assert "unbilled work in progress" in m.text and "3000.00 GBP" in m.text
    # the same episode: not again that day, nor the next days; `plan` no longer shows it
    plan = json.loads(ledger("plan", "--date", "2026-05-11", "--format", "json").stdout)
    assert [a for a in plan if a["step"] == "stand-down"] == []
    apply(ledger, "2026-05-08")
    apply(ledger, "2026-05-11")
    assert len(of(smtp, "stand-down/")) == 1


def test_an_invoice_past_the_stop_work_threshold_recommends_a_stand_down(ledger, smtp):
    ledger.invoices("INV-1,C1,K1,2026-02-01,2026-03-01,100.00,February")
    ledger("escalation", "--threshold", "99999", "GBP")
    # 41 days after 1 March (threshold 40); exposure 100 + 3,000 stays under the limit
    apply(ledger, "2026-04-11")
    [m] = of(smtp, "stand-down/")
    assert (
        "invoice INV-1 is 41 days overdue, past the contract's stop-work threshold of 40 days"
        in (m.text)
    )
    assert "credit limit of" not in m.text


def test_an_organisation_threshold_alerts_sales_delivery_and_leadership_once(ledger, smtp):
    ledger("escalation", "--threshold", "2500", "GBP")
    apply(ledger, "2026-05-07")  # exposure: 30h x 100 = 3,000 unbilled, no invoice
    [m] = of(smtp, "exposure-threshold/")
    assert m.header("X-Arrears-Key") == "exposure-threshold/C1/GBP/unbilled-2026-05-04"
    assert "has reached the alert threshold of 2500.00 GBP" in m.text
    assert "sam@northwind.example" in m.rcpt_tos and "dev@northwind.example" in m.rcpt_tos
    apply(ledger, "2026-05-08")
    assert len(of(smtp, "exposure-threshold/")) == 1
    assert of(smtp, "stand-down/") == []  # 3,000 is under the 5,000 credit limit


def test_an_opened_dispute_reaches_whoever_can_act_on_its_reason_once(ledger, smtp):
    ledger.invoices(
        "INV-1,C1,K1,2026-04-01,2026-05-05,100.00,April",
        "INV-2,C1,K1,2026-04-01,2026-05-05,200.00,April",
        "INV-3,C2,K2,2026-04-01,2026-05-05,300.00,April",
    )
    ledger("escalation", "--threshold", "99999", "GBP")
    ledger("dispute", "INV-1", "--reason", "missing-po", "--note", "PO 4471 missing")
    ledger("dispute", "INV-2", "--reason", "approval-pending")
    ledger("dispute", "INV-3", "--reason", "cash-flow")
    apply(ledger, "2026-05-06")
    by_key = {m.header("X-Arrears-Key").split("/")[1]: m for m in of(smtp, "dispute/")}
    assert sorted(by_key) == ["INV-1", "INV-2", "INV-3"]
    po, demo, cash = by_key["INV-1"], by_key["INV-2"], by_key["INV-3"]
    assert po.rcpt_tos == ["acc@northwind.example"]
    assert "PO 4471 missing" in po.text and "PO number missing" in po.subject
    # waiting for a demo on time-and-materials work: leadership, flagged as drifting
    assert demo.rcpt_tos == ["owner@northwind.example"]
    assert "drifting toward milestone billing" in demo.text
    assert cash.rcpt_tos == ["owner@northwind.example"] and "payment plan" in cash.text
    assert "arrears plan-offer C2 --instalments 3" in cash.text
    apply(ledger, "2026-05-07")
    assert len(of(smtp, "dispute/")) == 3


def test_an_approval_that_waits_a_day_is_raised_to_leadership_once(ledger, smtp):
    ledger.invoices("INV-9,C2,K2,2026-02-01,2026-03-02,300.00,Fixed-price phase 1")
    apply(ledger, "2026-04-16")  # +45: the late notice goes out first (catching up)
    apply(ledger, "2026-04-23")  # a week later, work-stoppage asks for an approval
    assert of(smtp, "approval-waiting/") == []
    plan = json.loads(ledger("plan", "--date", "2026-04-23", "--format", "json").stdout)
    [waiting] = [a for a in plan if a["status"] == "needs_approval"]
    apply(ledger, "2026-04-24")  # still undecided the next day
    [m] = of(smtp, "approval-waiting/")
    assert m.header("X-Arrears-Key") == f"approval-waiting/{waiting['key']}"
    assert sorted(m.rcpt_tos) == ["owner@northwind.example", "sam@northwind.example"]
    assert f"arrears approve {waiting['key']}" in m.text
    apply(ledger, "2026-04-27")
    assert len(of(smtp, "approval-waiting/")) == 1


class Hook(BaseHTTPRequestHandler):
    received: list = []
    answers: list = []  # statuses to answer, in turn; then 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(self.answers.pop(0) if self.answers else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def chat():
    Hook.received, Hook.answers = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/digest", Hook.received
    server.shutdown()
    server.server_close()


def test_the_daily_digest_reaches_chat_signed_and_leadership_by_email_once_a_day(
    ledger, smtp, chat, monkeypatch
):
    url, received = chat
    monkeypatch.setenv("ARREARS_DIGEST_WEBHOOK_SECRET", "s3cret")
    ledger.invoices("INV-1,C1,K1,2026-04-01,2026-05-05,3000.00,April")
    assert "digest" not in ledger("plan", "--date", "2026-05-08").output  # opt-in
    ledger("escalation", "--webhook", url, "--digest-email")
    ledger("pay", "C1", "1000.00", "--invoice", "INV-1", "--date", "2026-05-07")
    assert (
        "After the run, the daily digest (digest/2026-05-08) goes to leadership by email "
        "(owner@northwind.example) and the chat webhook."
    ) in " ".join(ledger("plan", "--date", "2026-05-08").output.split())
    apply(ledger, "2026-05-08")
    assert "The daily digest for 2026-05-08 is queued or sent." in " ".join(
        ledger("plan", "--date", "2026-05-08").output.split()
    )
    [(headers, body)] = received
    stamp = headers["X-Arrears-Timestamp"]
    expected = hmac.new(b"s3cret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Arrears-Signature"] == f"sha256={expected}"
    assert headers["X-Arrears-Key"] == "digest/2026-05-08/chat"
    text = json.loads(body)["text"]
    assert "daily digest for 2026-05-08" in text
    assert "1 payment(s) received: £1,000.00" in text
    assert "message(s) sent to clients (nudge-1: 1)" in text
    assert "stand-down recommended for C1 Acme Logistics" in text  # needs a decision
    [mail] = of(smtp, "digest/")
    assert mail.rcpt_tos == ["owner@northwind.example"]
    assert "1 payment(s) received" in mail.text
    # once a day; the next day lists only what changed since
    apply(ledger, "2026-05-08")
    assert len(received) == 1
    apply(ledger, "2026-05-09")
    assert len(received) == 2
    later = json.loads(received[1][1])["text"]
    assert "What changed since 2026-05-08:\n• nothing" in later


def test_the_escalation_settings_refuse_bad_input_and_change_nothing(ledger):
    assert "is not an amount and a currency code" in (
        ledger("escalation", "--threshold", "lots", "GBP", ok=False).output
    )
    assert "is not a positive amount in JPY" in (
        ledger("escalation", "--threshold", "10.5", "JPY", ok=False).output
    )
    assert "is not an http(s) address" in (
        ledger("escalation", "--webhook", "ftp://x", ok=False).output
    )
    shown = ledger("escalation").output
    assert "thresholds: none" in shown and "Digest chat webhook: none" in shown
    ledger("escalation", "--threshold", "40000", "gbp", "--digest-email")
    shown = ledger("escalation").output
    assert "Exposure alert thresholds: 40000 GBP" in shown
    assert "Digest by email to leadership: yes" in shown


def test_a_digest_the_chat_server_refuses_for_now_is_posted_again_and_a_4xx_is_given_up(
    ledger, chat, monkeypatch
):
    from arrears.dunning.models import OutboxAction

    url, received = chat
    monkeypatch.setenv("ARREARS_RETRY_BASE_SECONDS", "0")
    ledger("escalation", "--webhook", url)
    Hook.answers[:] = [503]
    out = apply(ledger, "2026-05-08", ok=False).output  # something left to retry: exit 1
    assert "digest/2026-05-08/chat" in out and "answered 503 (will retry)" in out
    apply(ledger, "2026-05-08")  # the retry is due at once (base 0 s); the same digest
    assert len(received) == 2 and received[0][1] == received[1][1]
    assert OutboxAction.objects.get(key="digest/2026-05-08/chat").status == "sent"
    Hook.answers[:] = [404]
    apply(ledger, "2026-05-09", ok=False)  # a failure makes the run exit non-zero
    row = OutboxAction.objects.get(key="digest/2026-05-09/chat")
    assert row.status == "failed" and "answered 404" in row.last_error
    apply(ledger, "2026-05-09")
    assert len(received) == 3  # given up: not posted again


def test_delivering_again_leaves_the_waiting_approvals_to_the_day_run(ledger, smtp, org):
    """`arrears deliver` (cron's retry run, and each helper of `apply`) only delivers: the
    approvals found waiting are the day run's, from its own plan, never planned a second time."""
    from datetime import date

    from arrears.core.planner import DUE
    from arrears.dunning.engine import make_plan
    from arrears.exposure.models import ApprovalWait
    from arrears.exposure.runner import record_waiting_approvals

    ledger.invoices("INV-9,C2,K2,2026-02-01,2026-03-02,300.00,Fixed-price phase 1")
    apply(ledger, "2026-04-16")
    apply(ledger, "2026-04-23")  # work-stoppage waits for an approval from today
    [wait] = ApprovalWait.objects.all()
    assert (wait.step, wait.since) == ("work-stoppage", date(2026, 4, 23))
    ledger("deliver", "--date", "2026-04-24")
    assert list(ApprovalWait.objects.all()) == [wait]
    # a plan without its needs-approval actions would read as "nothing waits": refused
    plan, _ = make_plan(org, date(2026, 4, 24), want=frozenset({DUE}))
    with pytest.raises(ValueError, match="without its actions needing an approval"):
        record_waiting_approvals(org, date(2026, 4, 24), plan)
    assert list(ApprovalWait.objects.all()) == [wait]
