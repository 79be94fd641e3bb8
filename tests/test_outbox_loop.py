"""The one outbox loop under attack: a slow live worker keeps its claim, a greylisted recipient
is tried again, the send window's end holds, a crashed daily run is run again, and two
`apply` at once count what each queued."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from arrears.dunning.models import OutboxAction, Run, StepRecord

from .conftest import write
from .factory import import_ledger
from .procs import installation, seed_nudges
from .smtp import smtp_server

DAY = "2026-05-08"


@pytest.mark.slow
def test_a_slow_live_worker_keeps_its_claim_and_nothing_arrives_twice(tmp_path):
    """The defect: the lease was the run's start + 10 minutes, so a second process took over
    rows their live claimant was still sending. Reproduced with a 3 s lease, a mail server
    taking 1 s a message and `arrears deliver` started 6 s into `arrears apply`."""
    with smtp_server() as (sink, port), installation(tmp_path, f"smtp://127.0.0.1:{port}") as inst:
        inst.env["ARREARS_LEASE_SECONDS"] = "3"
        seed_nudges(inst, 12)
        sink.delay = 1.0
        apply = inst.start("apply", "--date", DAY, "--workers", "1")
        time.sleep(6)
        deliver = inst.arrears("deliver", "--date", DAY, check=False)
        out, err = apply.communicate(timeout=120)
        received = Counter(sink.keys())
        assert apply.returncode == 0, out + err
        assert len(received) == 12, (received, deliver.stdout, out)
        assert set(received.values()) == {1}, f"sent twice: {received}\n{deliver.stdout}\n{out}"
        assert deliver.stdout.startswith("0 sent"), deliver.stdout
        assert inst.query("SELECT COUNT(*) FROM dunning_outboxaction WHERE status = 'sent'") == [
            (12,)
        ]


def test_two_applies_at_once_each_count_only_what_they_queued(tmp_path):
    with installation(tmp_path) as inst:
        seed_nudges(inst, 150)
        procs = [inst.start("apply", "--date", DAY) for _ in range(2)]
        outs = [p.communicate(timeout=300)[0] for p in procs]
        queued = [int(o.split(" queued")[0].rsplit(" ", 1)[1]) for o in outs]
        assert sum(queued) == 150, outs


def test_the_lease_setting_is_validated(tmp_path):
    with installation(tmp_path) as inst:
        inst.env["ARREARS_LEASE_SECONDS"] = "soon"
        result = inst.arrears("deliver", check=False)
        assert result.returncode != 0
        assert "ARREARS_LEASE_SECONDS='soon': expected a whole number" in result.stderr
        assert "Traceback" not in result.stderr + result.stdout


# -- in process, against the test database --------------------------------------------------------
CLIENTS = """
client_id,name,country,timezone,currency,language
C1,Acme Logistics,GB-ENG,Europe/London,GBP,en
NZ,Kiwi Cloud Ltd,NZ,Pacific/Auckland,NZD,en
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing
C1,Fran Finance,finance@acme.example,accounting
NZ,Aroha Accounts,accounts@kiwi.example,billing
"""


@pytest.fixture
def ledger(cli, tmp_path, org, monkeypatch):
    monkeypatch.setenv("ARREARS_RETRY_BASE_SECONDS", "0")
    org.accounts_email = "accounts@northwind.example"
    org.save()
    import_ledger(cli, tmp_path, clients=CLIENTS, contacts=CONTACTS)

    def invoices(*rows):
        header = "invoice_number,client_id,issue_date,due_date,amount\n"
        cli("import", "invoices", str(write(tmp_path / "inv.csv", header + "\n".join(rows) + "\n")))

    cli.invoices = invoices
    return cli


@pytest.mark.django_db
def test_a_greylisted_cc_gets_the_message_later_and_the_billing_contact_once(ledger, smtp):
    ledger.invoices("INV-1,C1,2026-04-01,2026-05-05,1200.00")
    smtp.refuse = {"finance@acme.example": "451 4.7.1 Greylisted, try again later"}
    out = ledger("apply", "--date", DAY)
    assert "1 sent" in out.output
    [first] = smtp.messages
    assert first.rcpt_tos == ["ap@acme.example"]
    smtp.refuse = {}
    ledger("deliver", "--date", DAY)
    later = smtp.messages[1:]
    assert [m.rcpt_tos for m in later] == [["finance@acme.example"]]
    assert later[0].subject == first.subject and later[0].header("Cc") == first.header("Cc")
    ledger("deliver", "--date", DAY)
    ledger("apply", "--date", DAY)
    assert len(smtp.messages) == 2  # nobody got it twice
    assert StepRecord.objects.get(invoice__number="INV-1", step="nudge-1").state == "performed"


@pytest.mark.django_db
def test_a_permanently_refused_cc_is_reported_not_retried(ledger, smtp):
    ledger.invoices("INV-1,C1,2026-04-01,2026-05-05,1200.00")
    smtp.refuse = {"finance@acme.example": "550 5.1.1 No such user"}
    out = ledger("apply", "--date", DAY)
    assert "finance@acme.example (550 5.1.1 No such user)" in out.output
    assert not OutboxAction.objects.filter(key__contains=">").exists()


@pytest.mark.django_db
def test_a_message_waits_for_the_next_send_window_when_its_window_closed(ledger, smtp):
    """The defect: an Auckland client got its reminder at 03:18 local time. Friday 8 May 2026
    14:18 UTC is Saturday 02:18 in Auckland: Friday's window (08:00-18:00 NZST) is over and the
    weekend is not a business day, so the reminder waits for Monday 11 May 08:00 NZST."""
    from arrears.dunning.engine import deliver_due, run_day

    ledger.invoices("INV-9,NZ,2026-04-01,2026-05-05,900.00")
    run_day(ledger.org, date(2026, 5, 8), now=datetime(2026, 5, 8, 14, 18, tzinfo=UTC))
    assert smtp.messages == []
    row = OutboxAction.objects.get(key="nudge-1/NZ/INV-9")
    assert row.status == "queued"
    assert row.not_before == datetime(2026, 5, 10, 20, 0, tzinfo=UTC)  # Mon 08:00 NZST
    # a retry or another worker on Sunday (local) sends nothing either
    deliver_due(ledger.org, date(2026, 5, 9), now=datetime(2026, 5, 9, 23, 0, tzinfo=UTC))
    assert smtp.messages == []
    deliver_due(ledger.org, date(2026, 5, 11), now=datetime(2026, 5, 10, 20, 30, tzinfo=UTC))
    assert smtp.keys() == ["nudge-1/NZ/INV-9"]


@pytest.mark.django_db
def test_a_taken_over_row_keeps_its_send_window(ledger, smtp):
    from arrears.dunning.engine import deliver_due, run_day

    ledger.invoices("INV-9,NZ,2026-04-01,2026-05-05,900.00")
    run_day(ledger.org, date(2026, 5, 8), now=datetime(2026, 5, 7, 19, 0, tzinfo=UTC))
    row = OutboxAction.objects.get(key="nudge-1/NZ/INV-9")
    # left `sending` by a worker that died (its lease long over), outside the window
    OutboxAction.objects.filter(pk=row.pk).update(
        status="sending",
        claimed_by="elsewhere:1:dead",
        lease_until=datetime(2026, 5, 8, 0, 0, tzinfo=UTC),
    )
    deliver_due(ledger.org, date(2026, 5, 8), now=datetime(2026, 5, 8, 14, 18, tzinfo=UTC))
    assert smtp.messages == []
    row.refresh_from_db()
    assert (row.status, row.not_before) == ("queued", datetime(2026, 5, 10, 20, 0, tzinfo=UTC))


@pytest.mark.django_db
def test_a_crashed_daily_run_is_run_again_by_the_scheduler(ledger, smtp):
    """The defect: the day's run row is written before planning, and the scheduler skipped any
    day that had one, so a run that crashed (or was killed) skipped the day."""
    from arrears.dunning.scheduler import tick

    ledger.invoices("INV-1,C1,2026-04-01,2026-05-05,1200.00")
    org = ledger.org
    org.daily_run_hour = 0
    org.save()
    from django.utils import timezone

    today = timezone.now().astimezone(__import__("zoneinfo").ZoneInfo(org.timezone)).date()
    crashed = Run.objects.create(
        organisation=org,
        on=today,
        daily=True,
        claimed_by="this-host-is-gone:1:dead",
        lease_until=timezone.now() - timezone.timedelta(minutes=1),
    )
    lines = tick()
    assert any(line.startswith(f"{org.slug}: daily run {today}") for line in lines), lines
    crashed.refresh_from_db()
    assert crashed.finished_at is not None and crashed.claimed_by == ""
    assert Run.objects.filter(daily=True, on=today).count() == 1
    assert not any("daily run" in line for line in tick())


@pytest.mark.django_db
def test_a_running_daily_run_is_not_started_twice(ledger, smtp):
    from django.utils import timezone

    from arrears.dunning.engine import run_day

    org = ledger.org
    today = date(2026, 5, 8)
    Run.objects.create(
        organisation=org,
        on=today,
        daily=True,
        claimed_by="another-host:1:alive",
        lease_until=timezone.now() + timezone.timedelta(minutes=5),
    )
    assert run_day(org, today, daily=True) is None


@pytest.mark.slow
def test_a_worker_slower_than_its_lease_cannot_mark_the_row_sent_and_the_team_is_told(tmp_path):
    """A mail server slower than the lease: the row is taken over while its message is with
    the server. The slow worker's "mark sent" updates no row: it records nothing as sent, says
    so, and the team is alerted (the taker sends it again: that is what the lease is for)."""
    with smtp_server() as (sink, port), installation(tmp_path, f"smtp://127.0.0.1:{port}") as inst:
        inst.env["ARREARS_LEASE_SECONDS"] = "2"
        seed_nudges(inst, 1)
        sink.delay = 8.0
        apply = inst.start("apply", "--date", DAY, "--workers", "1")
        sending = "SELECT COUNT(*) FROM dunning_outboxaction WHERE status = 'sending'"
        for _ in range(300):  # until apply has claimed the row (the machine may be slow)
            if inst.query(sending) == [(1,)]:
                break
            time.sleep(0.05)
        time.sleep(2.5)  # its lease has run out while its message is with the server
        deliver = inst.arrears("deliver", "--date", DAY, check=False)
        out, err = apply.communicate(timeout=120)
        assert "lost its claim" in out + err, out + err
        assert deliver.stdout.startswith("1 sent"), deliver.stdout
        messages = inst.query(
            "SELECT COUNT(*) FROM dunning_message m JOIN dunning_outboxaction a"
            " ON m.action_id = a.id WHERE a.key = 'nudge-1/C0000/INV-0000'"
        )
        assert messages == [(1,)]
        [(alert,)] = inst.query(
            "SELECT last_error FROM dunning_outboxaction WHERE key = %s", (f"send-failed/{DAY}",)
        )
        assert "nudge-1/C0000/INV-0000" in alert and "took it over" in alert


@pytest.mark.django_db
def test_a_row_that_breaks_the_planner_is_alerted_once_and_the_other_clients_get_their_day(
    ledger, smtp
):
    """The defect (issue 14): a due date of 9999-12-31 planted in the database crashed `plan`,
    `apply` and the daily job for every client (OverflowError)."""
    from arrears.dunning.models import OutboxAction
    from arrears.ledger.models import Invoice

    ledger.invoices(
        "INV-1,C1,2026-04-01,2026-05-05,1200.00", "INV-9,NZ,2026-04-01,2026-05-05,90.00"
    )
    Invoice.objects.filter(number="INV-9").update(due_date=date(9999, 12, 31))
    out = ledger("apply", "--date", DAY, ok=False)
    assert "NZ: could not be planned: OverflowError" in out.output
    assert "Traceback" not in out.output
    assert smtp.keys()[:1] == ["nudge-1/C1/INV-1"]  # the other client's day went on
    alert = [m for m in smtp.messages if m.subject.startswith("Kiwi Cloud Ltd:")]
    assert [m.subject for m in alert] == [
        "Kiwi Cloud Ltd: today's reminders could not be worked out"
    ]
    assert "accounts@northwind.example" in alert[0].rcpt_tos or alert[0].rcpt_tos
    ledger("apply", "--date", "2026-05-09", ok=False)
    assert OutboxAction.objects.filter(key__startswith="client-error/NZ/").count() == 1
    assert len([m for m in smtp.messages if m.subject.startswith("Kiwi")]) == 1  # alerted once
    plan = ledger("plan", "--date", DAY, ok=None)
    assert "Traceback" not in plan.output


@pytest.mark.django_db
def test_plan_names_a_client_it_cannot_plan_and_shows_the_others(ledger):
    from arrears.ledger.models import Invoice

    ledger.invoices(
        "INV-1,C1,2026-04-01,2026-05-05,1200.00", "INV-9,NZ,2026-04-01,2026-05-05,90.00"
    )
    Invoice.objects.filter(number="INV-9").update(due_date=date(9999, 12, 31))
    out = ledger("plan", "--date", DAY)
    assert "NZ: could not be planned: OverflowError" in out.output
    assert "INV-1" in out.output and "1 due" in out.output  # the other client is planned


@pytest.mark.django_db
def test_a_message_refused_for_good_goes_again_once_the_address_is_corrected(
    ledger, smtp, tmp_path
):
    """The send-failed alert says: correct the contact and the next run plans the step again."""
    ledger.invoices("INV-1,C1,2026-04-01,2026-05-05,1200.00")
    smtp.refuse = {
        "ap@acme.example": "550 5.1.1 No such user",
        "finance@acme.example": "550 5.1.1 No such user",
    }
    ledger("apply", "--date", DAY, ok=False)
    assert OutboxAction.objects.get(key="nudge-1/C1/INV-1").status == "failed"
    ledger("apply", "--date", "2026-05-09", ok=None)  # same address: not tried again
    assert not [m for m in smtp.messages if m.header("X-Arrears-Key") == "nudge-1/C1/INV-1"]
    fixed = "client_id,name,email,roles\nC1,Pat Payables,pat@acme.example,billing\n"
    ledger("import", "contacts", str(write(tmp_path / "fixed.csv", fixed)))
    ledger("apply", "--date", "2026-05-11")
    [sent] = [m for m in smtp.messages if m.header("X-Arrears-Key") == "nudge-1/C1/INV-1"]
    assert "pat@acme.example" in sent.rcpt_tos


@pytest.mark.slow
def test_a_hook_running_longer_than_the_lease_is_not_run_a_second_time(tmp_path):
    """A command hook may run for an hour; its worker keeps its claim while it runs, so
    another worker (cron's `arrears deliver`) never starts it again."""
    with installation(tmp_path) as inst:
        inst.env["ARREARS_LEASE_SECONDS"] = "2"
        seed_nudges(inst, 1)
        log = tmp_path / "ops.log"
        inst.arrears(
            "hook", "add", "ops", "--kind", "command", "--timeout", "60",
            "--command", f"sh -c 'echo $ARREARS_HOOK_KEY >> {log}; sleep 6'",
        )  # fmt: skip
        level = inst.start(
            "level", "C0000", "--set", "maintenance", "--reason", "ops test",
            "--by", "owner@northwind.example",
        )  # fmt: skip
        for _ in range(300):
            if log.exists() and log.read_text():
                break
            time.sleep(0.05)
        time.sleep(3)  # the lease (2 s) would have run out twice without being kept alive
        deliver = inst.arrears("deliver", check=False)
        out, err = level.communicate(timeout=60)
        assert level.returncode == 0, out + err
        assert len(log.read_text().split()) == 1, (log.read_text(), deliver.stdout)
        assert inst.query("SELECT status FROM dunning_outboxaction WHERE kind = 'hook'") == [
            ("sent",)
        ]


@pytest.mark.django_db
def test_apply_says_how_many_messages_wait_for_their_send_window(ledger, smtp):
    from arrears.dunning.engine import run_day

    ledger.invoices("INV-9,NZ,2026-04-01,2026-05-05,900.00")
    run_day(ledger.org, date(2026, 5, 8), now=datetime(2026, 5, 8, 14, 18, tzinfo=UTC))
    # its window: a day far ahead (a window that closed would be rolled to the next one, which
    # may be open at the moment the test runs)
    OutboxAction.objects.filter(key="nudge-1/NZ/INV-9").update(
        not_before=datetime(2100, 1, 4, 19, 0, tzinfo=UTC),
        not_after=datetime(2100, 1, 5, 5, 0, tzinfo=UTC),
    )
    out = ledger("apply")
    assert "; 1 wait for the client's send window" in out.output


@pytest.mark.django_db
def test_an_outbox_row_that_raises_is_retried_then_failed_and_alerted_once_and_the_others_go(
    ledger, smtp
):
    """One bad row never stops the day, in the delivery loop too: a row planted in the
    database whose message cannot be rendered (its template does not exist)."""
    from arrears.dunning.models import OutboxItem
    from arrears.ledger.models import Client, Invoice

    ledger.invoices(
        "INV-1,C1,2026-04-01,2026-05-05,1200.00",
        "INV-5,C1,2026-04-01,2026-06-30,500.00",  # nothing due for it today
        "INV-9,NZ,2026-04-01,2026-05-05,90.00",
    )
    bad = OutboxAction.objects.create(
        organisation=ledger.org,
        key="broken/C1/INV-5",
        client=Client.objects.get(external_id="C1"),
        step="nudge-2",
        kind="email",
        level="invoice",
        template="no-such-template",
        policy="default",
        scheduled_for=date(2026, 5, 8),
        to=["ap@acme.example"],
    )
    OutboxItem.objects.create(
        action=bad, invoice=Invoice.objects.get(number="INV-5"), step="nudge-2"
    )
    out = ledger("apply", "--date", DAY, ok=False)
    assert "broken/C1/INV-5: TemplateDoesNotExist" in out.output and "(will retry)" in out.output
    assert {"nudge-1/C1/INV-1", "nudge-1/NZ/INV-9"} <= set(smtp.keys())  # the others went
    for _ in range(3):
        ledger("deliver", "--date", DAY, ok=None)
    bad.refresh_from_db()
    assert bad.status == "failed" and "TemplateDoesNotExist" in bad.last_error
    alerts = [m for m in smtp.messages if m.header("X-Arrears-Key") == f"send-failed/{DAY}"]
    assert len(alerts) == 1 and "broken/C1/INV-5" in alerts[0].text
    assert "Traceback" not in out.output
