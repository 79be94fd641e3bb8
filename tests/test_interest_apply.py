"""The formal late notice quotes the interest and compensation, and `arrears apply` charges
them once, on the day the step is performed, through a real SMTP server."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arrears.charges.models import Charge
from arrears.ledger.models import Invoice

from .conftest import write
from .factory import import_ledger

pytestmark = pytest.mark.django_db

CLIENTS = """
client_id,name,country,timezone,currency,language
C1,Acme Logistics,GB-ENG,Europe/London,GBP,en
C2,Rheinland GmbH,DE-BY,Europe/Berlin,EUR,de
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing|accounting|leadership
C2,Jonas Berger,buchhaltung@rheinland.example,billing|accounting|leadership
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,start_date,governing_law
K1,C1,tm,30,2025-01-01,GB
K2,C2,tm,30,2025-01-01,DE
"""


def notices(smtp):
    """The formal late notices received (internal alerts may ride along the same run)."""
    return [m for m in smtp.messages if m.subject.startswith("Formal notice of late payment")]


@pytest.fixture
def ledger(cli, tmp_path, org):
    org.accounts_email = "accounts@northwind.example"
    org.save()
    import_ledger(cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS)
    cli(
        "import",
        "invoices",
        str(
            write(
                tmp_path / "inv.csv",
                "invoice_number,client_id,contract_id,issue_date,due_date,amount,description\n"
                "INV-1,C1,K1,2026-03-02,2026-04-01,1200.00,Platform work in March\n",
            )
        ),
    )
    return cli


def test_the_late_notice_quotes_the_claim_and_charges_it_once(ledger, smtp, monkeypatch):
    # GBP 1,200 due 1 Apr 2026 (Wed); the late notice is +21 days: Wed 22 Apr.
    # Interest from 2 Apr at Bank Rate on 31 Dec 2025 (row BOE_BANK_RATE 2025-12-18, 3.75%)
    # + 8 = 11.75%; 2..22 Apr = 21 days: 1,200 x 11.75% x 21/365 = 8.1123 -> 8.11
    # compensation: 1,000 <= 1,200 < 10,000 -> GBP 70
    monkeypatch.setenv("ARREARS_CHARGE_AS", "interest-line")
    ledger("apply", "--date", "2026-04-22")
    [m] = notices(smtp)
    assert "Late payment charges as of April 22, 2026:" in m.text
    assert (
        "- INV-1: interest £8.11 (11.75% a year from April 2, 2026); fixed compensation £70.00"
        in m.text
    )
    assert "Late Payment of Commercial Debts (Interest) Act 1998" in m.text
    charges = sorted(Charge.objects.values_list("kind", "step", "amount", "charged_on"))
    assert charges == [
        ("compensation", "late-notice", Decimal("70.00"), date(2026, 4, 22)),
        ("interest", "late-notice", Decimal("8.11"), date(2026, 4, 22)),
    ]
    # the next run and the next days perform nothing more and charge nothing more
    ledger("apply", "--date", "2026-04-22")
    ledger("apply", "--date", "2026-04-23")
    assert len(notices(smtp)) == 1 and Charge.objects.count() == 2
    assert not Invoice.objects.filter(number__startswith="INV-1-F").exists()


def test_as_a_fee_invoice_the_charges_are_billed_on_an_invoice_of_their_own(
    ledger, smtp, monkeypatch
):
    monkeypatch.setenv("ARREARS_CHARGE_AS", "fee-invoice")
    ledger("apply", "--date", "2026-04-22")
    fee = Invoice.objects.get(number="INV-1-F1")
    # 8.11 interest + 70.00 compensation (see above), due the day it is charged
    assert (fee.total, fee.currency, fee.due_date, fee.client.external_id) == (
        Decimal("78.11"),
        "GBP",
        date(2026, 4, 22),
        "C1",
    )
    assert [line.amount for line in fee.lines.all()] == [Decimal("8.11"), Decimal("70.00")]
    assert set(Charge.objects.values_list("fee_invoice__number", flat=True)) == {"INV-1-F1"}
    # no interest is claimed on the fee invoice itself
    out = ledger("interest", "INV-1-F1", "--until", "2026-06-30", ok=False).output
    assert "bills late-payment charges" in out


def test_with_charging_off_the_notice_still_quotes_the_figures(ledger, smtp, monkeypatch):
    monkeypatch.setenv("ARREARS_CHARGE_AS", "none")
    ledger("apply", "--date", "2026-04-22")
    [m] = notices(smtp)
    assert "interest £8.11" in m.text
    assert not Charge.objects.exists()


def test_a_german_client_reads_the_figures_in_german(ledger, smtp, tmp_path):
    # EUR 5,000 due 1 Apr 2026; late notice +21 days = Wed 22 Apr 2026.
    # H1 2026: row DE_BASISZINSSATZ 2026-01-01 (1.27%) + 9 = 10.27%
    # 2..22 Apr = 21 days: 5,000 x 10.27% x 21/365 = 29.5438 -> 29.54; Verzugspauschale EUR 40
    ledger(
        "import",
        "invoices",
        str(
            write(
                tmp_path / "de.csv",
                "invoice_number,client_id,contract_id,issue_date,due_date,amount,description\n"
                "RE-7,C2,K2,2026-03-02,2026-04-01,5000.00,Migration\n",
            )
        ),
    )
    ledger("apply", "--date", "2026-04-22")
    [m] = [m for m in smtp.messages if m.subject.startswith("Förmliche Mahnung")]
    assert "Verzugskosten, Stand 22. April 2026:" in m.text
    assert (
        "- RE-7: Verzugszinsen 29,54\xa0€ (10,27\xa0% p. a. ab 2. April 2026); "
        "Verzugspauschale 40,00\xa0€" in m.text
    )
    # the legal basis as a German notice cites it (tests/test_citations.py for the others)
    text = m.text.replace("\r\n", "\n")
    basis = " ".join(text.split("Rechtsgrundlage: ")[1].split("\n\n")[0].split())
    assert basis == "§ 288 Abs. 2 BGB; Verzugspauschale: § 288 Abs. 5 BGB."


def test_the_final_demand_charges_only_the_interest_accrued_since_the_late_notice(
    ledger, smtp, monkeypatch, org
):
    from arrears.dunning.models import OutboxAction, OutboxItem
    from arrears.dunning.signals import step_performed

    monkeypatch.setenv("ARREARS_CHARGE_AS", "interest-line")
    ledger("apply", "--date", "2026-04-22")  # late notice: 8.11 interest + 70.00 (above)
    inv = Invoice.objects.get(number="INV-1")
    action = OutboxAction.objects.create(
        organisation=org,
        key="final-demand/C1/INV-1",
        client=inv.client,
        step="final-demand",
        kind="email",
        level="invoice",
        template="final-demand",
        policy="default",
        scheduled_for=date(2026, 6, 15),
        to=["ap@acme.example"],
    )
    OutboxItem.objects.create(action=action, invoice=inv, step="final-demand")
    # to 15 Jun: 2 Apr..15 Jun = 29 + 31 + 15 = 75 days: 1,200 x 11.75% x 75/365 = 28.9726
    # -> 28.97, of which 8.11 was charged with the late notice: 20.86 now; no second 70.00
    for _ in range(2):  # performed twice (a re-run): charged once
        step_performed.send(
            None,
            organisation=org,
            action=action,
            invoices=[inv],
            message=None,
            on=date(2026, 6, 15),
        )
    assert sorted(Charge.objects.values_list("step", "kind", "amount")) == [
        ("final-demand", "interest", Decimal("20.86")),
        ("late-notice", "compensation", Decimal("70.00")),
        ("late-notice", "interest", Decimal("8.11")),
    ]


def test_a_malformed_charging_setting_is_named(monkeypatch):
    from arrears.charges.claims import day_count
    from arrears.charges.hooks import charge_as
    from arrears.env import ConfigError

    monkeypatch.setenv("ARREARS_CHARGE_AS", "fees")
    with pytest.raises(ConfigError, match="ARREARS_CHARGE_AS='fees': expected one of"):
        charge_as()
    monkeypatch.setenv("ARREARS_INTEREST_DAY_COUNT", "30/360")
    with pytest.raises(ConfigError, match="ARREARS_INTEREST_DAY_COUNT='30/360'"):
        day_count()


@pytest.mark.parametrize(
    ("order", "paid_first"),
    [("", "INV-1"), ("principal,fees,interest", "INV-1"), ("fees,interest,principal", "INV-1-F1")],
)
def test_a_payment_settles_fees_and_principal_in_the_configured_order(
    ledger, smtp, monkeypatch, order, paid_first
):
    """A payment that covers one debit of the two: the fee invoice (GBP 78.11, see above) or the
    principal (GBP 1,200), in the order ARREARS_ALLOCATION_ORDER gives; oldest first without one
    (the fee invoice is due 22 Apr, the principal 1 Apr)."""
    monkeypatch.setenv("ARREARS_CHARGE_AS", "fee-invoice")
    ledger("apply", "--date", "2026-04-22")
    monkeypatch.setenv("ARREARS_ALLOCATION_ORDER", order)
    ledger("pay", "C1", "1200.00", "--date", "2026-04-30")
    owed = dict(
        (i.number, i.outstanding) for i in Invoice.objects.filter(number__startswith="INV-1")
    )
    if paid_first == "INV-1":
        assert owed == {"INV-1": Decimal("0.00"), "INV-1-F1": Decimal("78.11")}
    else:  # 78.11 to the fee invoice, the remaining 1,121.89 to the principal
        assert owed == {"INV-1": Decimal("78.11"), "INV-1-F1": Decimal("0.00")}


def test_a_malformed_allocation_order_is_named(monkeypatch):
    from arrears.env import ConfigError
    from arrears.ledger.settlement import allocation_order

    monkeypatch.setenv("ARREARS_ALLOCATION_ORDER", "interest,principal")
    with pytest.raises(ConfigError, match="ARREARS_ALLOCATION_ORDER='interest,principal'"):
        allocation_order()
