"""Every message says what is true on the day it goes out: a reminder for the `due` step that
goes out after a weekend, a holiday or a late entry says how late the invoice is, in each
language, rather than "due today" beside a table that says "2 days overdue"."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.dunning.compose import compose
from arrears.dunning.policy_store import default_text, parse
from arrears.ledger.models import Invoice

from .factory import email_action, import_ledger, make_client, make_invoice

pytestmark = pytest.mark.django_db

POLICY = parse(default_text(), "default")
SATURDAY = date(2026, 11, 28)  # the due date; the `due` step goes out on Monday 30 November

CLIENTS = """
client_id,name,country,timezone,currency,language
C1,Acme Logistics,GB,Europe/London,GBP,en-GB
C2,Rheinland GmbH,DE,Europe/Berlin,EUR,de
C3,Lumière SARL,FR,Europe/Paris,EUR,fr
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing
C2,Jonas Berger,buchhaltung@rheinland.example,billing
C3,Claire Martin,compta@lumiere.example,billing
"""
INVOICES = """
invoice_number,client_id,issue_date,due_date,amount,description
INV-1,C1,2026-10-29,2026-11-28,1200.00,Platform work
INV-2,C2,2026-10-29,2026-11-28,1200.00,Plattformarbeit
INV-3,C3,2026-10-29,2026-11-28,1200.00,Travaux de plateforme
"""
# what each language says about an invoice 2 days late, and what it must no longer say
LATE = {
    "ap@acme.example": (
        "Invoice #INV-1 was due on 28 November 2026",
        "was due for payment on 28 November 2026 and is now 2 days overdue",
        "due today",
    ),
    "buchhaltung@rheinland.example": (
        "Rechnung #INV-2 war am 28. November 2026 fällig",
        "war am 28. November 2026 zur Zahlung fällig und ist jetzt 2 Tage überfällig",
        "heute",
    ),
    "compta@lumiere.example": (
        "Facture #INV-3 : échue le 28 novembre 2026",
        "est arrivée à échéance le 28 novembre 2026 et présente maintenant 2 jours de retard",
        "aujourd'hui",
    ),
}


def test_a_due_reminder_sent_after_the_weekend_says_how_late_it_is_in_each_language(
    cli, tmp_path, smtp
):
    import_ledger(cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, invoices=INVOICES)
    cli("apply", "--date", "2026-11-30")
    by_address = {m.rcpt_tos[0]: m for m in smtp.messages}
    assert sorted(by_address) == sorted(LATE)
    for address, (subject, sentence, never) in LATE.items():
        m = by_address[address]
        assert m.header("X-Arrears-Key").startswith("due/"), m.header("X-Arrears-Key")
        assert m.subject == subject
        for body in (m.text, " ".join(m.html.split())):
            assert sentence in body, body
            assert never not in body.lower() and never not in m.subject.lower()


def _client(org, language: str):
    return make_client(org, name="Acme", language=language)


def _message(org, client, step: str, due: date, on: date):
    inv = make_invoice(
        client, number="INV-7", issue_date=date(2026, 10, 1), due_date=due, total="1234.50"
    )
    action = email_action(client, step=step, on=on, key=f"{step}/C1/INV-7")
    return compose(org, action, [inv], POLICY, on, contacts=[("ap@acme.example", "Pat")])


@pytest.mark.parametrize(
    "step, on, subject, sentence",
    [
        # on the day: due today
        ("due", SATURDAY, "Invoice #INV-7 is due today", "is due for payment today"),
        # one day late: the singular, in the words and in the table
        (
            "due",
            date(2026, 11, 29),
            "Invoice #INV-7 was due on 28 November 2026",
            "is now 1 day overdue",
        ),
        # the courtesy reminder held up until after the due date
        (
            "upcoming",
            date(2026, 11, 30),
            "Invoice #INV-7 was due on 28 November 2026",
            "is now 2 days overdue",
        ),
        ("upcoming", SATURDAY, "Invoice #INV-7 is due today", "is due for payment today"),
        (
            "upcoming",
            date(2026, 11, 25),
            "Invoice #INV-7 is due on 28 November 2026",
            "is due for payment on 28 November 2026",
        ),
    ],
)
def test_the_wording_follows_the_days_overdue_not_the_step(org, step, on, subject, sentence):
    out = _message(org, _client(org, "en_GB"), step, SATURDAY, on)
    assert out.subject == subject
    assert sentence in out.text
    days = (on - SATURDAY).days
    if days == 1:
        assert "1 day overdue" in out.text and "1 days" not in out.text


def test_a_table_row_one_day_late_says_day_in_german_and_french(org):
    client = _client(org, "de")
    out = _message(org, client, "due", SATURDAY, date(2026, 11, 29))
    assert "1 Tag überfällig" in out.text and "1 Tage" not in out.text
    Invoice.objects.all().delete()
    client.language = "fr"
    client.save()
    out = _message(org, client, "due", SATURDAY, date(2026, 11, 29))
    assert "1 jour de retard" in out.text and "1 jours" not in out.text
