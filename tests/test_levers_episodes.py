"""Episodes end to end: a restored client can go through the levels again for other invoices,
and needs new approvals; and a few sequences of events (days passing, approvals, rejections,
payments, clause changes) played through the real commands never let a gated lever out
without its clause and an approval of its episode (the pure version is
tests/test_levels_properties.py)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from arrears.dunning.models import Approval, Message, OutboxAction
from arrears.ledger.models import Contract, Invoice

from .conftest import write
from .factory import import_ledger

pytestmark = pytest.mark.django_db

CLIENTS = """
client_id,name,country,timezone,currency,language
C1,Acme Logistics,GB,Europe/London,GBP,en
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,service_modification_clause,stop_work_clause,suspension_rights_clause,start_date
K1,C1,tm,30,yes,yes,yes,2025-01-01
"""
START = date(2026, 3, 2)  # a Monday
GATED = {"work-stoppage": "stop_work_clause", "suspension": "suspension_rights_clause"}


@pytest.fixture
def ledger(cli, tmp_path, org, tmp_path_factory):
    import_ledger(cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS)
    log = tmp_path / "hooks.log"
    cli(
        "hook",
        "add",
        "ops",
        "--kind",
        "command",
        "--command",
        f"sh -c 'echo $ARREARS_HOOK_KEY >> {log}'",
    )
    cli.log = log
    return cli


def invoices(cli, tmp_path, *dues: date) -> None:
    header = "invoice_number,client_id,contract_id,issue_date,due_date,amount,description\n"
    rows = [
        f"INV-{n},C1,K1,{due - timedelta(days=30)},{due},1000.00,Work"
        for n, due in enumerate(dues, 1)
    ]
    cli("import", "invoices", str(write(tmp_path / "inv.csv", header + "\n".join(rows) + "\n")))


def proposed(cli, day: date, step: str) -> bool:
    rows = json.loads(cli("plan", "--date", str(day), "--format", "json").stdout)
    return any(r["step"] == step and r["status"] == "needs_approval" for r in rows)


def test_a_restored_client_goes_through_the_levels_again_and_needs_new_approvals(
    ledger, smtp, tmp_path
):
    # INV-1 due 2 March: late notice 23 March, maintenance 1 April, work stoppage (approved)
    # 16 April; paid 20 April. INV-2 due 1 June: late notice 22 June, maintenance 1 July.
    invoices(ledger, tmp_path, START, date(2026, 6, 1))
    for day in ("2026-03-23", "2026-04-01"):
        ledger("apply", "--date", day)
    ledger("approve", "work-stoppage/C1", "--by", "owner@northwind.example", "--date", "2026-04-16")
    ledger("apply", "--date", "2026-04-16")
    ledger("pay", "C1", "1000.00", "--invoice", "INV-1", "--date", "2026-04-20")
    ledger("apply", "--date", "2026-04-20")
    first = json.loads(ledger("level", "C1", "--format", "json").stdout)
    assert (first["level"], first["episode"]) == ("normal", 1)

    ledger("apply", "--date", "2026-06-22")
    ledger("apply", "--date", "2026-07-01")
    second = json.loads(ledger("level", "C1", "--format", "json").stdout)
    assert (second["level"], second["episode"], second["triggers"]) == ("maintenance", 2, ["INV-2"])
    assert proposed(ledger, date(2026, 7, 16), "work-stoppage")  # asked again
    keys = ledger.log.read_text().split()
    hook = keys[0].split("/")[1]
    assert keys == [
        f"hook/{hook}/C1/enter:maintenance/1",
        f"hook/{hook}/C1/enter:stopped/1",
        f"hook/{hook}/C1/restore:stopped/1",
        f"hook/{hook}/C1/restore:maintenance/1",
        f"hook/{hook}/C1/enter:maintenance/2",
    ]
    # the first episode's records stay, under their episode's name
    assert Approval.objects.filter(key="work-stoppage/C1#1", decision="approved").exists()
    assert OutboxAction.objects.filter(key="maintenance/C1#1", status="sent").exists()
    assert OutboxAction.objects.filter(key="maintenance/C1", status="sent").exists()


SEQUENCES = {
    # INV-1 due 20 February: late notice 23 March, maintenance 1 April, work stoppage proposed
    # Friday 17 April, performed Monday 20 April once approved, suspension proposed 6 May
    "the clause is removed after the approval": [
        ("days", 21), ("days", 9), ("days", 16), ("approve",), ("days", 3), ("days", 16),
        ("clause", "suspension_rights_clause", False), ("approve",), ("days", 5), ("days", 10),
    ],
    # INV-2 (due 11 May) starts a second episode after INV-1 is paid on 7 May
    "a rejection holds until the episode ends, then a new episode asks again": [
        ("days", 21), ("days", 9), ("days", 16), ("reject", "work-stoppage"), ("days", 20),
        ("pay", 1), ("days", 60), ("days", 9), ("days", 16), ("approve",), ("days", 3),
        ("days", 16), ("approve",), ("days", 1),
    ],
    "approvals before the proposal do nothing; payment mid-way stops the ladder": [
        ("approve",), ("days", 21), ("approve",), ("days", 9), ("days", 16), ("approve",),
        ("days", 3), ("pay", 1), ("days", 16), ("approve",), ("days", 5),
    ],
}  # fmt: skip
EXPECTED = {
    "the clause is removed after the approval": ["work-stoppage"],
    "a rejection holds until the episode ends, then a new episode asks again": [
        "work-stoppage",
        "suspension",
    ],
    "approvals before the proposal do nothing; payment mid-way stops the ladder": ["work-stoppage"],
}


@pytest.mark.parametrize("name", SEQUENCES)
def test_gated_levers_never_go_out_without_clause_and_approval(ledger, smtp, tmp_path, name):
    invoices(ledger, tmp_path, START - timedelta(days=10), START + timedelta(days=70))
    day, seen = START, set()
    for event in SEQUENCES[name]:
        match event:
            case ("days", n):
                day += timedelta(days=n)
                ledger("apply", "--date", str(day))
            case ("approve",) | ("reject", _):
                rows = json.loads(ledger("plan", "--date", str(day), "--format", "json").stdout)
                for r in rows:
                    if r["step"] in GATED and r["status"] == "needs_approval":
                        if event[0] == "approve":
                            verb = ["approve", r["key"]]
                        elif r["step"] == event[1]:
                            verb = ["reject", r["key"], "--reason", "talking to their CFO"]
                        else:
                            continue
                        ledger(*verb, "--by", "owner@northwind.example", "--date", str(day))
            case ("pay", n):
                inv = Invoice.objects.get(number=f"INV-{n}")
                if inv.status in ("open", "partially_paid"):
                    ledger("pay", "C1", "1000.00", "--invoice", inv.number, "--date", str(day))
            case ("clause", clause, present):
                Contract.objects.filter(external_id="K1").update(**{clause: present})
        contract = Contract.objects.get(external_id="K1")
        for m in Message.objects.filter(step__in=GATED).exclude(pk__in=seen):
            seen.add(m.pk)
            assert getattr(contract, GATED[m.step]), (name, m.step, day)
            approval = Approval.objects.get(key=f"{m.step}/C1")  # this episode's
            assert approval.decision == "approved" and approval.decided_at <= m.sent_at
    sent = [m.step for m in Message.objects.filter(step__in=GATED).order_by("sent_at")]
    assert sent == EXPECTED[name]
