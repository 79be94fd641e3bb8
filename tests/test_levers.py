"""Service levels end to end: `arrears apply` over simulated days takes a client through
maintenance, work stoppage (approved) and suspension (approved); a real HTTP server receives
the signed webhooks, a real command hook writes to a file, an escrowed secret is withheld and
handed back; `arrears pay` restores the client and the restore hooks run once, in order."""

from __future__ import annotations

import json

import pytest

from arrears.dunning.models import OutboxAction
from arrears.levers.models import Escrow, Hook, HookRun, LevelChange, TimeOverride

from .conftest import write
from .factory import import_ledger
from .webhooks import webhook_receiver

pytestmark = pytest.mark.django_db

SECRET = b"whsec-levers-test-0123456789"
DEPLOY_KEY = "ghp_DeployKeyThatMustNeverBeLogged42"

CLIENTS = """
client_id,name,country,timezone,currency,language,sales_owner_email,delivery_lead_email
C1,Acme Logistics,GB,Europe/London,GBP,en,sam@northwind.example,dev@northwind.example
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing
C1,Fran Finance,finance@acme.example,accounting
C1,Cass CTO,cto@acme.example,leadership|technical
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,service_modification_clause,stop_work_clause,suspension_rights_clause,start_date
K1,C1,tm,30,yes,yes,yes,2025-01-01
"""
# Due Monday 2 March 2026. +21 (late notice) Monday 23 March; +30 (maintenance) Wednesday
# 1 April, 9 days after the late notice (7 days' notice needed); +45 (work stoppage) Thursday
# 16 April; +60 (suspension) Friday 1 May. No English bank holiday on those days.
INVOICE = "INV-1,C1,K1,2026-02-01,2026-03-02,1200.00,Platform engineering in February"


@pytest.fixture
def ledger(cli, tmp_path, org):
    org.accounts_email = "accounts@northwind.example"
    org.save()
    import_ledger(cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS)
    header = "invoice_number,client_id,contract_id,issue_date,due_date,amount,description\n"
    cli("import", "invoices", str(write(tmp_path / "inv.csv", header + INVOICE + "\n")))
    return cli


@pytest.fixture
def hooks(ledger, tmp_path):
    """An organisation-wide signed webhook, a command hook for C1 that appends each event to a
    file, and an escrow hook for C1's deploy key."""
    log = tmp_path / "hooks.log"
    restored = tmp_path / "restored-key.txt"
    with webhook_receiver(SECRET) as receiver:
        secret_file = write(tmp_path / "whsec", SECRET.decode() + "\n")
        ledger(
            "hook", "add", "chat", "--kind", "webhook", "--url", receiver.url,
            "--secret-from-file", str(secret_file),
        )  # fmt: skip
        ledger(
            "hook", "add", "ops", "--kind", "command", "--client", "C1",
            "--command", f'sh -c \'echo "$ARREARS_HOOK_EVENT $ARREARS_CLIENT_ID '
            f'$ARREARS_LEVEL_FROM>$ARREARS_LEVEL_TO" >> {log}\'',
        )  # fmt: skip
        ledger(
            "escrow",
            "put",
            "C1",
            "deploy-key",
            "--from-file",
            str(write(tmp_path / "k", DEPLOY_KEY)),
        )
        ledger(
            "hook", "add", "ci-key", "--kind", "escrow", "--client", "C1", "--secret-name", "deploy-key",
            "--withhold", f"sh -c 'echo withheld $ARREARS_ESCROW_NAME >> {log}'",
            "--restore", f"sh -c 'cat > {restored}; echo put back >> {log}'",
        )  # fmt: skip
        yield receiver, log, restored


def apply(cli, day):
    return cli("apply", "--date", day)


def level_of(cli) -> dict:
    return json.loads(cli("level", "C1", "--format", "json").stdout)


def test_a_client_goes_down_the_levels_and_payment_restores_it_once_in_order(
    ledger, hooks, smtp, tmp_path
):
    receiver, log, restored = hooks
    apply(ledger, "2026-03-23")  # late notice
    assert level_of(ledger)["level"] == "normal"

    apply(ledger, "2026-04-01")
    assert level_of(ledger)["level"] == "maintenance"
    notice = next(m for m in smtp.messages if m.subject.startswith("Service level reduced"))
    assert "- feature work" in notice.text and "- production incidents" in notice.text
    assert log.read_text().splitlines() == ["enter:maintenance C1 normal>maintenance"]

    # work stoppage waits for an approval that says what will run, on whom, under what
    plan = json.loads(ledger("plan", "--date", "2026-04-16", "--format", "json").stdout)
    stop = next(a for a in plan if a["step"] == "work-stoppage")
    assert stop["status"] == "needs_approval"
    assert "Acme Logistics (C1) moves to stopped" in stop["reason"]
    assert "under the stop work clause of contract K1" in stop["reason"]
    apply(ledger, "2026-04-16")
    assert level_of(ledger)["level"] == "maintenance"
    approved = ledger(
        "approve", "work-stoppage/C1", "--by", "owner@northwind.example", "--date", "2026-04-16"
    )
    assert "hook ops (command) runs on enter:stopped" in approved.stdout
    apply(ledger, "2026-04-16")
    assert level_of(ledger)["level"] == "stopped"

    ledger("approve", "suspension/C1", "--by", "owner@northwind.example", "--date", "2026-05-01")
    apply(ledger, "2026-05-01")
    assert level_of(ledger)["level"] == "suspended"
    assert Escrow.objects.get().withheld

    ledger("pay", "C1", "1200.00", "--date", "2026-05-05")
    assert level_of(ledger)["level"] == "normal"
    apply(ledger, "2026-05-05")
    apply(ledger, "2026-05-06")  # a second run does not run anything again

    assert log.read_text().splitlines() == [
        "enter:maintenance C1 normal>maintenance",
        "enter:stopped C1 maintenance>stopped",
        "enter:suspended C1 stopped>suspended",
        "withheld deploy-key",
        "restore:suspended C1 suspended>normal",
        "put back",
        "restore:stopped C1 suspended>normal",
        "restore:maintenance C1 suspended>normal",
    ]
    assert [c["event"] for c in receiver.calls] == [
        "enter:maintenance",
        "enter:stopped",
        "enter:suspended",
        "restore:suspended",
        "restore:stopped",
        "restore:maintenance",
    ]
    assert receiver.refused == []
    assert receiver.calls[0]["text"].startswith("Acme Logistics (C1) entered maintenance")
    chat = Hook.objects.get(name="chat").pk
    assert receiver.calls[-1]["_key"] == f"hook/{chat}/C1/restore:maintenance/1"
    # the secret went back by stdin, and is nowhere in the logs or the command line
    assert restored.read_text() == DEPLOY_KEY
    assert not Escrow.objects.get().withheld
    for run in HookRun.objects.all():
        assert DEPLOY_KEY not in run.output
    assert DEPLOY_KEY not in json.dumps(
        list(OutboxAction.objects.values("key", "reason", "data", "last_error")), default=str
    )
    assert DEPLOY_KEY not in ledger("hook", "list", "--format", "json").stdout

    # the client and the team were told
    back = [m for m in smtp.messages if m.subject.startswith("Full service restored")]
    assert len(back) == 1 and back[0].rcpt_tos[0] == "ap@acme.example"
    assert "payment of INV-1 has been received" in back[0].text
    team = [m for m in smtp.messages if m.subject == "Acme Logistics is back to normal service"]
    assert len(team) == 1 and "dev@northwind.example" in team[0].rcpt_tos

    history = level_of(ledger)["history"]
    assert [(h["from"], h["to"]) for h in history] == [
        ("normal", "maintenance"),
        ("maintenance", "stopped"),
        ("stopped", "suspended"),
        ("suspended", "normal"),
    ]
    assert history[1]["by"] == "work-stoppage/C1" and history[-1]["reason"] == "paid: INV-1"
    timeline = json.loads(ledger("timeline", "C1", "--format", "json").stdout)
    texts = [e["text"] for e in timeline if e["kind"] in ("level", "hook-ok")]
    assert "suspended → normal by payment: paid: INV-1" in texts
    assert f"hook/{chat}/C1/restore:maintenance/1 (200)" in texts


def test_time_entries_for_a_stopped_client_are_refused_unless_overridden(ledger, smtp, tmp_path):
    ledger(
        "level",
        "C1",
        "--set",
        "stopped",
        "--reason",
        "CFO silent",
        "--by",
        "owner@northwind.example",
    )
    entries = write(
        tmp_path / "time.csv",
        "date,client_id,person,hours,bill_rate,cost_rate\n2026-05-02,C1,Dana Dev,2.5,120,70\n",
    )
    refused = ledger("import", "time-entries", str(entries), ok=False)
    assert (
        f"{entries}:2:client_id: client C1 is stopped: new time entries are refused"
        in refused.stderr
    )
    assert "nothing was imported" in refused.stderr
    ledger("import", "time-entries", str(entries), "--override", "production incident P1-123")
    override = TimeOverride.objects.get()
    assert (override.reason, override.entries, override.level) == (
        "production incident P1-123",
        1,
        "stopped",
    )
    ledger("deliver", "--date", "2026-05-02")
    [alert] = [m for m in smtp.messages if m.subject.startswith("Time logged for Acme")]
    assert (
        "production incident P1-123" in alert.text and "owner@northwind.example" in alert.rcpt_tos
    )


def test_setting_a_level_by_hand_needs_a_reason_and_the_right_role(ledger, tmp_path):
    from django.contrib.auth.models import User

    from arrears.ledger.models import Membership

    sales = User.objects.create_user("sam", "sam@northwind.example", "pw-long-enough")
    Membership.objects.create(organisation=ledger.org, user=sales, role="sales")
    no_reason = ledger(
        "level", "C1", "--set", "stopped", "--by", "owner@northwind.example", ok=False
    )
    assert "--set needs a --reason" in no_reason.stderr
    refused = ledger(
        "level",
        "C1",
        "--set",
        "stopped",
        "--reason",
        "x",
        "--by",
        "sam@northwind.example",
        ok=False,
    )
    assert "owner or leadership" in refused.stderr
    assert not LevelChange.objects.exists()
    out = ledger(
        "level",
        "C1",
        "--set",
        "suspended",
        "--reason",
        "no answer",
        "--by",
        "owner@northwind.example",
    )
    assert "normal → suspended" in out.stdout
    assert "owner@northwind.example" in out.stdout  # who, in the history


def test_a_failing_webhook_is_retried_then_alerted_once_without_holding_up_other_hooks(
    ledger, smtp, tmp_path, monkeypatch
):
    monkeypatch.setenv("ARREARS_RETRY_BASE_SECONDS", "0")
    log = tmp_path / "ops.log"
    with webhook_receiver(SECRET) as receiver:
        ledger(
            "hook", "add", "chat", "--kind", "webhook", "--url", receiver.url,
            "--secret-from-file", str(write(tmp_path / "s", SECRET.decode())),
        )  # fmt: skip
        ledger(
            "hook",
            "add",
            "ops",
            "--kind",
            "command",
            "--command",
            f"sh -c 'echo $ARREARS_HOOK_EVENT >> {log}'",
        )
        receiver.answers = [503, 404]  # first a temporary failure, then a permanent one
        ledger(
            "level", "C1", "--set", "stopped", "--reason", "x", "--by", "owner@northwind.example"
        )
        chat = OutboxAction.objects.filter(kind="hook", key__startswith="hook/").order_by("pk")
        first = chat[0]
        assert (first.step, first.status, first.attempts) == ("enter:maintenance", "queued", 1)
        # the command hook went on; the webhook's own later transition waits for it
        assert log.read_text().split() == ["enter:maintenance", "enter:stopped"]
        assert chat.get(key=first.key.replace("maintenance", "stopped")).attempts == 0
        ledger("deliver", "--date", "2026-05-02", ok=False)
        first.refresh_from_db()
        assert first.status == "failed" and "answered 404" in first.last_error
        ledger("deliver", "--date", "2026-05-02")
        ledger("deliver", "--date", "2026-05-02")
    assert [c["event"] for c in receiver.calls] == ["enter:stopped"]
    alerts = [m for m in smtp.messages if m.subject.startswith("A hook failed for Acme")]
    assert len(alerts) == 1 and "owner@northwind.example" in alerts[0].rcpt_tos
    assert "enter:maintenance" in alerts[0].subject
    runs = json.loads(ledger("hook", "log", "--format", "json").stdout)
    chat_runs = [(r["outcome"], r["http_status"]) for r in runs if r["exit_status"] is None]
    assert chat_runs == [("retry", 503), ("failed", 404), ("ok", 200)]


def test_hook_settings_are_checked_and_secrets_never_come_from_argv(ledger, tmp_path):
    bad = ledger("hook", "add", "x", "--kind", "webhook", "--url", "ftp://nope", ok=False)
    assert "url: 'ftp://nope' is not an http:// or https:// address" in bad.stderr
    assert "secret: a signing secret is required" in bad.stderr
    wrong = ledger(
        "hook",
        "add",
        "y",
        "--kind",
        "command",
        "--command",
        "true",
        "--on",
        "enter:normal",
        ok=False,
    )
    assert "not a transition" in wrong.stderr
    help_text = ledger("escrow", "put", "--help").stdout
    assert "--from-file" in help_text and "--secret " not in help_text
    empty = ledger(
        "escrow", "put", "C1", "k", "--from-file", str(write(tmp_path / "e", "\n")), ok=False
    )
    assert "no secret to store" in empty.stderr


def test_an_accepted_plan_whose_first_instalment_is_paid_restores_the_client(
    ledger, smtp, tmp_path
):
    apply(ledger, "2026-03-23")
    apply(ledger, "2026-04-01")
    assert level_of(ledger)["level"] == "maintenance"
    ledger(
        "plan-offer", "C1", "--instalments", "2", "--first", "2026-04-10", "--date", "2026-04-02",
        "-o", str(tmp_path / "plan.pdf"), "--by", "owner@northwind.example",
    )  # fmt: skip
    ledger("plan-accept", "P1", "--by", "owner@northwind.example")
    assert level_of(ledger)["level"] == "maintenance"  # accepted, nothing paid yet
    ledger("pay", "C1", "600.00", "--invoice", "INV-1", "--date", "2026-04-10")
    level = level_of(ledger)
    assert level["level"] == "normal" and level["triggers"] == ["INV-1"]  # episode goes on
    assert level["history"][-1]["reason"] == (
        "payment plan accepted and its first instalment paid: INV-1"
    )
    ledger("pay", "C1", "600.00", "--invoice", "INV-1", "--date", "2026-05-10")
    assert level_of(ledger)["triggers"] == []  # paid in full: the episode is over


def test_a_hook_left_running_by_a_dead_worker_is_run_by_the_next_one(ledger, tmp_path):
    import socket
    import subprocess

    log = tmp_path / "ops.log"
    ledger(
        "hook",
        "add",
        "ops",
        "--kind",
        "command",
        "--command",
        f"sh -c 'echo $ARREARS_HOOK_KEY >> {log}'",
    )
    ledger(
        "level", "C1", "--set", "maintenance", "--reason", "x", "--by", "owner@northwind.example"
    )
    assert len(log.read_text().split()) == 1
    ledger("level", "C1", "--set", "stopped", "--reason", "y", "--by", "owner@northwind.example")
    row = OutboxAction.objects.get(kind="hook", step="enter:stopped")
    log.write_text("")
    # as if the worker that claimed this run had been killed before marking it done
    dead = subprocess.Popen(["true"])
    dead.wait()
    OutboxAction.objects.filter(pk=row.pk).update(
        status="sending", claimed_by=f"{socket.gethostname()}:{dead.pid}:cafe", attempts=1
    )
    ledger("deliver", "--date", "2026-05-02")
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 2
    assert log.read_text().split() == [row.key]


def test_a_command_that_hangs_is_stopped_at_its_timeout_with_what_it_started(ledger, tmp_path):
    ledger(
        "hook", "add", "slow", "--kind", "command", "--timeout", "1",
        "--command", "sh -c 'echo starting; sleep 600 & sleep 600'",
    )  # fmt: skip
    ledger(
        "level", "C1", "--set", "maintenance", "--reason", "x", "--by", "owner@northwind.example"
    )
    [run] = HookRun.objects.all()
    assert run.outcome == "retry" and "did not finish within 1 s" in run.output
    assert "starting" in run.output
