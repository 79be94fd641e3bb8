"""A notice cites the law the short way, in the client's language ("§ 288 Abs. 2 BGB"), never
the rules file's research notes; a German notice has no English sentence in it. Notices
received by a real SMTP server, the letter read by poppler's pdftotext."""

from __future__ import annotations

import re
import subprocess

import pytest

from arrears.core.basis import LANGUAGES, cited
from arrears.core.latepayment import SUPPORTED, rules

from .factory import import_ledger

pytestmark = pytest.mark.django_db

CLIENTS = """
client_id,name,country,timezone,currency,language,postal_address
C1,Acme Logistics,GB-ENG,Europe/London,GBP,en,"1 Canal Street
Manchester M1 3HE"
C2,Rheinland GmbH,DE-BY,Europe/Berlin,EUR,de,"Domstraße 4
50668 Köln"
C3,Loire Conseil SARL,FR,Europe/Paris,EUR,fr,"3 rue Kléber
44000 Nantes"
"""
CONTACTS = """
client_id,name,email,roles
C1,Pat Payables,ap@acme.example,billing|accounting|leadership
C2,Jonas Berger,buchhaltung@rheinland.example,billing|accounting|leadership
C3,Claire Martin,compta@loire.example,billing|accounting|leadership
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,start_date,governing_law
K1,C1,tm,30,2025-01-01,GB
K2,C2,tm,30,2025-01-01,DE
K3,C3,tm,30,2025-01-01,FR
"""
# Each due Wednesday 1 April 2026: the late notice (+21) goes on Wednesday 22 April, the
# final demand (+75) on Monday 15 June, business days in all three countries.
INVOICES = """
invoice_number,client_id,contract_id,issue_date,due_date,amount,description
INV-1,C1,K1,2026-03-02,2026-04-01,1200.00,Platform work in March
RE-7,C2,K2,2026-03-02,2026-04-01,5000.00,Migration
F-12,C3,K3,2026-03-02,2026-04-01,3000.00,Audit
"""
LATE_NOTICE = {"en": "Formal notice of late payment", "de": "Förmliche Mahnung", "fr": ""}
# Words of English sentences; none of them is German (names and addresses aside).
ENGLISH = re.compile(
    r"\b(the|of|and|per|one|late|payment|interest|rate|days?|please|your|our|we|is|are)\b",
    re.IGNORECASE,
)


@pytest.fixture
def ledger(cli, tmp_path, org, smtp):
    org.accounts_email = "accounts@northwind.example"
    org.postal_address = "12 Harbour Street\nBristol BS1 4QA"
    org.save()
    import_ledger(
        cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, contracts=CONTRACTS, invoices=INVOICES
    )
    return cli


def english(text: str) -> list[str]:
    """The English words in a text, names and addresses aside."""
    for name in ("Northwind Engineering", "Rheinland GmbH", "Jonas Berger", "Harbour Street"):
        text = text.replace(name, "")
    return ENGLISH.findall(text)


def notice_to(smtp, address: str):
    [m] = [m for m in smtp.messages if address in m.header("To")]
    return m


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_british_notice_cites_the_act_and_its_sections(ledger, smtp):
    ledger("apply", "--date", "2026-04-22")
    text = one_line(notice_to(smtp, "ap@acme.example").text)
    assert (
        "Basis: Late Payment of Commercial Debts (Interest) Act 1998, s.6; "
        "fixed compensation: s.5A of the same Act." in text
    )
    # not the research notes: the rate order, the Scottish instrument, the rate's mechanics
    for note in ("SI 2002/1675", "SSI 2002/336", "Bank of England base rate", "held for"):
        assert note not in text, note


def test_a_german_notice_cites_the_bgb_and_says_nothing_in_english(ledger, smtp):
    ledger("apply", "--date", "2026-04-22")
    m = notice_to(smtp, "buchhaltung@rheinland.example")
    text = one_line(m.text)
    assert "Rechtsgrundlage: § 288 Abs. 2 BGB; Verzugspauschale: § 288 Abs. 5 BGB." in text
    assert "BGH" not in text and "Buergerliches" not in text and "s.288" not in text
    assert not english(text), text
    assert not english(m.subject), m.subject


def test_a_french_notice_cites_the_code_de_commerce(ledger, smtp):
    ledger("apply", "--date", "2026-04-22")
    text = one_line(notice_to(smtp, "compta@loire.example").text)
    assert (
        "Fondement : article L441-10 du Code de commerce ; "
        "indemnité forfaitaire : article D441-5 du Code de commerce." in text
    )
    assert "art. L441-10 II" not in text and "ECB" not in text


def pdf_text(data: bytes) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return one_line(out.stdout.decode())


def test_the_german_letter_before_action_cites_the_bgb_in_the_email_and_the_pdf(ledger, smtp):
    key = "final-demand/C2/RE-7"
    assert key in ledger("plan", "--date", "2026-06-15").output
    ledger("approve", key, "--by", "owner@northwind.example", "--date", "2026-06-15")
    ledger("apply", "--date", "2026-06-15")
    [m] = [m for m in smtp.messages if m.header("X-Arrears-Key") == key]
    citation = "Grundlage: § 288 Abs. 2 BGB; Verzugspauschale: § 288 Abs. 5 BGB"
    assert citation in one_line(m.text)
    [letter] = list(m.message.iter_attachments())
    text = pdf_text(letter.get_content())
    assert citation in text, text
    assert "BGH" not in text and "one per late payment" not in text
    # the letterhead speaks German too
    assert "Datum" in text and "Unser Zeichen" in text and "Seite 1 von 1" in text, text
    assert "Our reference" not in text and "Page" not in text
    assert not english(text), text


@pytest.mark.parametrize("rule_id", SUPPORTED)
def test_every_rule_is_cited_the_short_way_in_every_language_of_the_notices(rule_id):
    statute = rules()[rule_id].grounds()
    assert {c.lang for c in statute.cited} == set(LANGUAGES)
    for lang in LANGUAGES:
        short = cited((statute,), lang)
        assert len(short) < 200 and "verification" not in short, short
