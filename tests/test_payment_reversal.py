"""A payment is corrected the way accountants correct it: reversed, with a date and a reason,
in the audit trail. `arrears reverse-payment` takes its allocations back (the invoices owe
again, the ladder resumes for them), refuses what cannot be reversed, and the reversal travels
through export and import, the timeline, the admin, aging and exposure."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.ledger.kinds import KINDS
from arrears.ledger.models import Allocation, Client, Invoice, Payment
from arrears.ledger.settlement import Settler, issue_credit_note, record_payment

from .conftest import Cli, make_org, write
from .factory import import_ledger, make_client, make_invoice
from .test_settlement_properties import check_money_adds_up

pytestmark = pytest.mark.django_db

CLIENTS = """
client_id,name,country,timezone,currency,language,sales_owner_email,delivery_lead_email
C1,Acme Logistics,GB-ENG,Europe/London,GBP,en,sam@northwind.example,dev@northwind.example
C2,Juniper Labs,GB-ENG,Europe/London,GBP,en,sam@northwind.example,
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing
C1,Fran Finance,finance@acme.example,accounting
C1,Cass CTO,cto@acme.example,leadership|technical
C2,Jo Juniper,ap@juniper.example,billing|accounting
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,service_modification_clause,stop_work_clause,suspension_rights_clause,start_date
K1,C1,tm,30,yes,no,no,2025-01-01
K2,C2,tm,30,no,no,no,2025-01-01
"""
# INV-1 due Tuesday 5 May 2026 (+3: Friday 8 May); INV-2 due Friday 5 June
INVOICES = """
invoice_number,client_id,contract_id,issue_date,due_date,amount,description
INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,Platform engineering in April
INV-2,C1,K1,2026-05-01,2026-06-05,800.00,Platform engineering in May
"""
OWNER = "owner@northwind.example"


@pytest.fixture
def ledger(cli, tmp_path, org):
    org.accounts_email = "accounts@northwind.example"
    org.save()
    import_ledger(
        cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS, invoices=INVOICES
    )
    return cli


def figures(number: str) -> tuple[Decimal, Decimal, Decimal, Decimal, str]:
    inv = Invoice.objects.get(number=number)
    assert inv.total == inv.paid + inv.credited + inv.written_off + inv.outstanding
    return inv.total, inv.paid, inv.credited, inv.outstanding, inv.status


def snapshot(org) -> list:
    """Everything a reversal may touch, to show that a refused one changed nothing."""
    return [
        sorted(
            Invoice.objects.for_org(org).values_list(
                "number", "paid", "credited", "written_off", "status"
            )
        ),
        sorted(
            Payment.objects.for_org(org).values_list(
                "external_id", "allocated", "reversed_on", "reversal_reason"
            )
        ),
        sorted(Allocation.objects.for_org(org).values_list("invoice__number", "kind", "amount")),
    ]


# -- the command ------------------------------------------------------------------------------


def test_reversing_a_payment_reopens_the_invoices_it_paid_and_the_money_still_adds_up(ledger):
    ledger("pay", "C1", "1500.00", "--id", "P1", "--date", "2026-05-08")  # INV-1, then 300 of INV-2
    assert figures("INV-1")[-1] == "paid" and figures("INV-2")[-1] == "partially_paid"

    out = ledger(
        "reverse-payment", "P1", "--reason", "cheque bounced", "--date", "2026-05-12"
    ).stdout
    assert "payment P1 reversed on 2026-05-12: 1500.00 GBP taken back (cheque bounced)" in out
    assert "INV-1" in out and "INV-2" in out

    assert figures("INV-1") == (Decimal("1200"), 0, 0, Decimal("1200"), "open")
    assert figures("INV-2") == (Decimal("800"), 0, 0, Decimal("800"), "open")
    p = Payment.objects.get(external_id="P1")
    assert (p.reversed_on, p.reversal_reason) == (date(2026, 5, 12), "cheque bounced")
    assert (p.amount, p.allocated, p.unallocated) == (Decimal("1500"), 0, 0)
    assert not Allocation.objects.exists()


def test_a_payment_reversed_already_or_unknown_is_refused_in_one_line_and_nothing_changes(
    ledger, org
):
    ledger("pay", "C1", "1200.00", "--id", "P1", "--date", "2026-05-08")
    ledger("pay", "C1", "100.00", "--id", "P2", "--date", "2026-05-09")
    ledger("reverse-payment", "P1", "--reason", "cheque bounced", "--date", "2026-05-12")
    before = snapshot(org)

    refusals = {
        ("P1", "--reason", "again"): (
            "error: payment P1 was reversed on 2026-05-12 already (cheque bounced)"
        ),
        ("NOPE-404", "--reason", "typo"): "error: no payment 'NOPE-404'",
        ("P2", "--reason", "early", "--date", "2026-05-01"): (
            "error: --date 2026-05-01 is before payment P2 was received (2026-05-09)"
        ),
        ("P2", "--reason", "   "): "error: --reason: say why the payment is reversed",
    }
    for args, message in refusals.items():
        result = ledger("reverse-payment", *args, ok=False)
        assert result.exit_code == 1
        assert result.stderr.strip() == message, args
        assert "Traceback" not in result.output
    assert snapshot(org) == before


def test_a_reversal_is_dated_today_unless_told_and_never_after_today(ledger, org):
    from arrears.ledger.reports import org_today

    today = org_today(org)
    ledger("pay", "C1", "1200.00", "--id", "P1", "--date", "2026-05-08")
    before = snapshot(org)
    later = (today + timedelta(days=1)).isoformat()
    refused = ledger("reverse-payment", "P1", "--reason", "x", "--date", later, ok=False)
    assert refused.stderr.strip() == (
        f"error: --date {later} is after today ({today.isoformat()}): a payment is reversed on "
        "the day it was taken back"
    )
    assert snapshot(org) == before
    ledger("reverse-payment", "P1", "--reason", "booked to the wrong client")
    assert Payment.objects.get().reversed_on == today


def test_a_reversed_payment_is_never_spent_as_credit_nor_shown_as_credit(ledger, tmp_path, org):
    # C2 paid 500.00 with nothing to pay: credit, until the payment is reversed
    ledger("pay", "C2", "500.00", "--id", "P9", "--date", "2026-05-08", "--allow-overpayment")
    aging = json.loads(ledger("aging", "--date", "2026-05-10", "--format", "json").stdout)
    assert [c["client_id"] for c in aging["credits"]] == ["C2"]
    ledger("reverse-payment", "P9", "--reason", "paid to us by mistake: refunded")

    for day in ("2026-05-10", "2026-06-30"):  # before the reversal too: it never was credit
        aging = json.loads(ledger("aging", "--date", day, "--format", "json").stdout)
        assert aging["credits"] == []
    assert "credit" not in ledger("aging").stdout.lower()

    # a new invoice for C2 is not paid by the reversed payment
    header = "invoice_number,client_id,contract_id,issue_date,due_date,amount,description\n"
    row = "INV-9,C2,K2,2026-06-01,2026-07-01,300.00,June\n"
    ledger("import", "invoices", str(write(tmp_path / "inv9.csv", header + row)))
    assert figures("INV-9") == (Decimal("300"), 0, 0, Decimal("300"), "open")
    # nor by a payment allocated with credit spending (the importers' and settler's path)
    settler = Settler(org, [Client.objects.get(external_id="C2").pk])
    settler.use_credit([Client.objects.get(external_id="C2").pk])
    settler.flush()
    assert figures("INV-9")[-1] == "open"


def test_exposure_counts_a_reversed_payment_as_never_received(ledger, tmp_path):
    time = write(
        tmp_path / "time.csv",
        "date,client_id,contract_id,person,hours,bill_rate,cost_rate,description\n"
        "2026-05-04,C1,K1,Ada Lovelace,10,150,100,Pipeline\n",
    )
    ledger("import", "time-entries", str(time))

    def uncovered():
        rows = json.loads(
            ledger("exposure", "--date", "2026-05-20", "--client", "C1", "--format", "json").stdout
        )
        return next(r["uncovered_cost"] for r in rows if r["client_id"] == "C1")

    assert uncovered() == "1000.00"
    ledger("pay", "C1", "600.00", "--id", "P1", "--date", "2026-05-08")
    assert uncovered() == "400.00"
    ledger("reverse-payment", "P1", "--reason", "direct debit recalled", "--date", "2026-05-11")
    assert uncovered() == "1000.00"


def test_a_reversal_spends_the_clients_credit_on_the_reopened_invoice(ledger):
    ledger("pay", "C1", "2000.00", "--id", "P1", "--date", "2026-05-08")  # INV-1 and INV-2
    ledger("pay", "C1", "300.00", "--id", "P2", "--date", "2026-05-09", "--allow-overpayment")
    out = ledger("reverse-payment", "P1", "--reason", "chargeback", "--date", "2026-05-12").stdout
    # the 300.00 of credit pays the oldest invoice again, as an import would have spent it
    assert figures("INV-1") == (
        Decimal("1200"),
        Decimal("300"),
        0,
        Decimal("900"),
        "partially_paid",
    )
    assert figures("INV-2")[-1] == "open"
    assert "INV-1" in out and "900.00" in out


# -- export and import ------------------------------------------------------------------------


def export_all(cli, tmp_path, tag, fmt="csv"):
    files = {}
    for kind in KINDS:
        path = tmp_path / f"{tag}-{kind}.{fmt}"
        cli("export", kind, "--format", fmt, "-o", str(path))
        files[kind] = path
    return files


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_ledger_with_a_reversed_payment_exports_and_imports_back_the_same(
    ledger, org, tmp_path, fmt
):
    ledger("pay", "C1", "1200.00", "--id", "P1", "--date", "2026-05-08", "--reference", "CHQ 7")
    ledger("reverse-payment", "P1", "--reason", "cheque bounced\nbank letter of 11 May", "--date",
           "2026-05-12")  # fmt: skip
    ledger("pay", "C1", "1000.00", "--id", "P2", "--date", "2026-05-20", "--invoice", "INV-1")
    ledger("pay", "C2", "50.00", "--id", "P3", "--date", "2026-05-21", "--allow-overpayment")
    ledger("reverse-payment", "P3", "--reason", "not ours", "--date", "2026-05-22")

    first = export_all(ledger, tmp_path, "a", fmt)
    if fmt == "csv":
        lines = first["payments"].read_text().splitlines()
        assert lines[0] == (
            "payment_id,client_id,date,amount,currency,reference,method,invoice_number,"
            "reversed_on,reversal_reason"
        )
        assert "P1,C1,2026-05-08,1200.00,GBP,CHQ 7,bank_transfer,,2026-05-12," in lines[1]
        assert "P2,C1,2026-05-20,1000.00,GBP,,bank_transfer,INV-1,," in lines
    else:
        rows = json.loads(first["payments"].read_text())
        p1 = next(r for r in rows if r["payment_id"] == "P1")
        assert (p1["reversed_on"], p1["reversal_reason"]) == (
            "2026-05-12",
            "cheque bounced\nbank letter of 11 May",
        )

    fresh = make_org("Fresh Copy Ltd", "GB", "copy@fresh.example")
    copy = Cli(fresh)
    for kind, path in first.items():
        if path.read_text().strip() != "[]":  # an empty JSON list is not an import file
            copy("import", kind, str(path))
    second = export_all(copy, tmp_path, "b", fmt)
    for kind in KINDS:
        assert first[kind].read_text() == second[kind].read_text(), kind

    def state(o):
        return (
            sorted(
                Invoice.objects.for_org(o).values_list(
                    "number", "total", "paid", "credited", "written_off", "status"
                )
            ),
            sorted(
                Payment.objects.for_org(o).values_list(
                    "external_id", "amount", "allocated", "reversed_on", "reversal_reason"
                )
            ),
        )

    assert state(fresh) == state(org)
    # and importing the same file again changes nothing
    again = ledger("import", "payments", str(first["payments"]), "--update").stdout
    assert "0 created, 0 updated, 3 unchanged" in again
    assert state(org) == state(fresh)


def test_an_import_that_reverses_a_payment_reopens_its_invoices(ledger, tmp_path):
    ledger("pay", "C1", "1200.00", "--id", "P1", "--date", "2026-05-08")
    path = write(
        tmp_path / "p.csv",
        "payment_id,client_id,date,amount,reversed_on,reversal_reason\n"
        "P1,C1,2026-05-08,1200.00,2026-05-12,chargeback\n",
    )
    assert "0 created, 1 updated" in ledger("import", "payments", str(path), "--update").stdout
    assert figures("INV-1") == (Decimal("1200"), 0, 0, Decimal("1200"), "open")
    assert Payment.objects.get().reversal_reason == "chargeback"


def test_bad_reversal_cells_are_named_and_nothing_is_imported(ledger, tmp_path, org):
    ledger("pay", "C1", "1200.00", "--id", "P1", "--date", "2026-05-08")
    ledger("reverse-payment", "P1", "--reason", "cheque bounced", "--date", "2026-05-12")
    before = snapshot(org)
    path = write(
        tmp_path / "bad.csv",
        "payment_id,client_id,date,amount,invoice_number,reversed_on,reversal_reason\n"
        "P5,C1,2026-05-08,100.00,INV-1,2026-05-12,bounced\n"
        "P6,C1,2026-05-08,100.00,,2026-05-12,\n"
        "P7,C1,2026-05-08,100.00,,,a reason without a date\n"
        "P8,C1,2026-05-08,100.00,,2026-05-01,dated before the payment\n"
        "P9,C1,2026-05-08,100.00,,12/05/2026,bad date\n"
        "P1,C1,2026-05-08,1200.00,INV-1,,\n",
    )
    result = ledger("import", "payments", str(path), "--update", ok=False)
    problems = result.stderr.splitlines()
    assert (
        f"{path}:2:invoice_number: a reversed payment pays no invoice: leave it empty" in problems
    )
    assert f"{path}:3:reversal_reason: is required when reversed_on is given" in problems
    assert f"{path}:4:reversed_on: is required when reversal_reason is given" in problems
    assert f"{path}:5:reversed_on: 2026-05-01 is before the payment's date (2026-05-08)" in problems
    assert any(p.startswith(f"{path}:6:reversed_on: ") for p in problems)
    assert (
        f"{path}:7:reversed_on: payment P1 was reversed on 2026-05-12: a reversal is not undone "
        "(book the money again as a new payment)"
    ) in problems
    assert problems[-1] == f"error: 6 problem(s) in {path}; nothing was imported"
    assert snapshot(org) == before


# -- what people see --------------------------------------------------------------------------


def test_the_timeline_shows_the_payment_and_its_reversal_with_the_reason(ledger):
    ledger("pay", "C1", "1200.00", "--id", "P1", "--date", "2026-05-08")
    ledger("reverse-payment", "P1", "--reason", "cheque bounced", "--date", "2026-05-12")
    story = json.loads(ledger("timeline", "C1", "--format", "json").stdout)
    money = [(e["when"][:10], e["kind"], e["text"]) for e in story if "P1" in e["text"]]
    assert money == [
        ("2026-05-08", "payment", "payment P1 received: £1,200.00"),
        ("2026-05-12", "reversal", "payment P1 reversed: £1,200.00 (cheque bounced)"),
    ]


@pytest.fixture
def admin_client(client, org):
    from .test_admin_scoping import PASSWORD

    client.login(username=OWNER, password=PASSWORD)
    return client


def test_the_admin_shows_the_reversal_read_only_and_deletion_points_at_reverse_payment(
    ledger, admin_client
):
    ledger("pay", "C1", "1200.00", "--id", "P1", "--date", "2026-05-08")
    p1 = Payment.objects.get(external_id="P1")
    page = admin_client.get(reverse("admin:ledger_payment_delete", args=[p1.pk])).content.decode()
    assert "cannot be deleted: it has 1 allocation" in page
    assert "arrears reverse-payment P1 --reason" in page

    ledger("reverse-payment", "P1", "--reason", "cheque bounced", "--date", "2026-05-12")
    change = reverse("admin:ledger_payment_change", args=[p1.pk])
    page = admin_client.get(change).content.decode()
    assert "cheque bounced" in page and "Reversed on" in page
    assert 'name="reversed_on"' not in page and 'name="reversal_reason"' not in page
    listing = admin_client.get(reverse("admin:ledger_payment_changelist")).content.decode()
    assert "May 12, 2026" in listing or "2026-05-12" in listing

    # reversed, it has no allocations left, and still stays: it is the audit trail
    url = reverse("admin:ledger_payment_delete", args=[p1.pk])
    page = admin_client.get(url).content.decode()
    assert "cannot be deleted: it was reversed on 2026-05-12" in page
    admin_client.post(url, {"post": "yes"})
    admin_client.post(
        reverse("admin:ledger_payment_changelist"),
        {"action": "delete_selected", "_selected_action": [p1.pk], "post": "yes"},
    )
    assert Payment.objects.filter(pk=p1.pk).exists()


def test_the_admins_reverse_action_reverses_the_chosen_payments_today(ledger, admin_client, org):
    from arrears.ledger.reports import org_today

    ledger("pay", "C1", "1200.00", "--id", "P1", "--date", "2026-05-08")
    p1 = Payment.objects.get(external_id="P1")
    changelist = reverse("admin:ledger_payment_changelist")
    response = admin_client.post(
        changelist,
        {"action": "reverse_payments", "_selected_action": [p1.pk], "reason": "cheque bounced"},
        follow=True,
    )
    assert response.status_code == 200
    p1.refresh_from_db()
    assert (p1.reversed_on, p1.reversal_reason) == (org_today(org), "cheque bounced")
    assert figures("INV-1")[-1] == "open"


# -- what the ledger's listeners do -----------------------------------------------------------


def test_after_a_reversal_the_next_apply_reminds_the_client_of_the_reopened_invoice(ledger, smtp):
    ledger("pay", "C1", "1200.00", "--id", "P1", "--invoice", "INV-1", "--date", "2026-05-04")
    ledger("apply", "--date", "2026-05-08")
    assert not [m for m in smtp.messages if "ap@acme.example" in m.rcpt_tos]  # paid: nothing

    ledger("reverse-payment", "P1", "--reason", "cheque bounced", "--date", "2026-05-11")
    ledger("apply", "--date", "2026-05-12")  # +7: nudge-2
    to_client = [m for m in smtp.messages if "ap@acme.example" in m.rcpt_tos]
    assert [m.header("X-Arrears-Key") for m in to_client] == ["nudge-2/C1/INV-1"]
    assert "£1,200.00" in to_client[0].text


def test_a_client_restored_by_the_payment_climbs_the_ladder_again_after_the_reversal(ledger, smtp):
    """INV-1 due 5 May: late notice at +21 (Tuesday 26 May), maintenance at +30 (Thursday
    4 June, the contract has the clause), 7 days' notice after the message before it."""

    def level():
        return json.loads(ledger("level", "C1", "--format", "json").stdout)["level"]

    ledger("apply", "--date", "2026-05-26")
    ledger("apply", "--date", "2026-06-04")
    assert level() == "maintenance"
    ledger("pay", "C1", "1200.00", "--id", "P1", "--invoice", "INV-1", "--date", "2026-06-05")
    assert level() == "normal"

    ledger("reverse-payment", "P1", "--reason", "cheque bounced", "--date", "2026-06-08")
    assert level() == "normal"  # until the ladder says otherwise, with its notice
    # maintenance again once its notice period after the last notice (4 June) has run
    ledger("apply", "--date", "2026-06-09")
    assert level() == "normal"
    ledger("apply", "--date", "2026-06-11")
    assert level() == "maintenance"
    notices = [m for m in smtp.messages if m.subject.startswith("Service level reduced")]
    assert len(notices) == 2


def test_a_reversed_payment_no_longer_counts_toward_a_payment_plan(ledger):
    ledger(
        "plan-offer", "C1", "--instalments", "3", "--first", "2026-05-15",
        "--date", "2026-05-11", "--by", OWNER,
    )  # fmt: skip
    ledger("plan-accept", "P1", "--by", OWNER)
    ledger("pay", "C1", "400.00", "--id", "PAY-1", "--invoice", "INV-1", "--date", "2026-05-14")
    [plan] = json.loads(ledger("plans", "--format", "json").stdout)
    assert [i["paid"] for i in plan["instalments"]] == ["400.00", "0.00", "0.00"]
    ledger("reverse-payment", "PAY-1", "--reason", "direct debit recalled", "--date", "2026-05-18")
    [plan] = json.loads(ledger("plans", "--format", "json").stdout)
    assert [i["paid"] for i in plan["instalments"]] == ["0.00", "0.00", "0.00"]
    assert plan["status"] == "active"


# -- any sequence ----------------------------------------------------------------------------

START = date(2026, 1, 1)
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))
op = st.one_of(
    st.tuples(st.just("invoice"), cents),
    st.tuples(st.just("pay"), cents),
    st.tuples(st.just("credit"), cents),
    st.tuples(st.just("reverse"), st.integers(0, 30)),
)


class Rollback(Exception):
    pass


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(op, min_size=1, max_size=14))
def test_any_sequence_with_reversals_adds_up_to_the_cent(org, ops):
    from arrears.ledger.settlement import SettlementError, reverse_payment

    try:
        with transaction.atomic():
            client = make_client(org, external_id="C", name="C")
            for n, step in enumerate(ops):
                on = START + timedelta(days=n)
                if step[0] == "invoice":
                    make_invoice(
                        client,
                        number=f"I{n}",
                        issue_date=on,
                        due_date=on + timedelta(days=30),
                        total=step[1],
                    )
                    settler = Settler(org, [client.pk])
                    settler.use_credit([client.pk])
                    settler.flush()
                elif step[0] == "pay":
                    record_payment(
                        org, client, external_id=f"P{n}", on=on, amount=step[1], currency="GBP"
                    )
                elif step[0] == "credit":
                    issue_credit_note(
                        org, client, number=f"CN{n}", on=on, amount=step[1], currency="GBP"
                    )
                else:
                    live = list(Payment.objects.for_org(org).order_by("pk"))
                    if live:
                        p = live[step[1] % len(live)]
                        if p.reversed_on is None:
                            reverse_payment(org, p.external_id, on=on, reason="test")
                        else:
                            with pytest.raises(SettlementError):
                                reverse_payment(org, p.external_id, on=on, reason="again")
                check_money_adds_up(org)
                for p in Payment.objects.for_org(org).filter(reversed_on__isnull=False):
                    assert p.allocated == 0 and not p.allocations.exists()
            raise Rollback
    except Rollback:
        pass


def test_a_payment_booked_again_after_its_reversal_is_not_taken_for_a_duplicate(ledger):
    """Allocated to the wrong invoice: reversed, then booked as it came, on the right one."""
    args = ("pay", "C1", "800.00", "--date", "2026-06-08", "--reference", "BACS 77")
    ledger(*args, "--id", "P1", "--invoice", "INV-1")
    refused = ledger(*args, "--id", "P2", "--invoice", "INV-2", ok=False)
    assert "--allow-duplicate" in refused.stderr  # as long as P1 stands, it looks like a twin
    ledger("reverse-payment", "P1", "--reason", "was for INV-2", "--date", "2026-06-08")
    ledger(*args, "--id", "P2", "--invoice", "INV-2")
    assert figures("INV-1")[-1] == "open" and figures("INV-2")[-1] == "paid"
