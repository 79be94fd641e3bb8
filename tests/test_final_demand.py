"""The final demand, a letter before action, says everything a court would ask of it: the total
claimed (principal, interest, compensation or fee, each with its basis, and the sum), the
client's postal address, the deadline as a date, and how to pay (the organisation's bank
details) — in the email and in the PDF letter it carries."""

from __future__ import annotations

import subprocess

import pytest

from .factory import ACME, import_ledger

pytestmark = pytest.mark.django_db

CLIENTS = """
client_id,name,country,timezone,currency,language,postal_address
C1,Acme Logistics,GB-ENG,Europe/London,GBP,en_GB,"1 Canal Street
Manchester M1 3HE"
"""


def pdf_text(data: bytes) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return " ".join(out.stdout.decode().split())


@pytest.fixture
def demand(cli, tmp_path, org, smtp):
    """GBP 1,200 due Wednesday 1 April 2026 under English law; the final demand (+75) is
    approved and sent on Monday 15 June 2026."""
    org.accounts_email = "accounts@northwind.example"
    org.postal_address = "12 Harbour Street\nBristol BS1 4QA"
    org.save()
    import_ledger(cli, tmp_path, **ACME | {"clients": CLIENTS})  # Acme, with its postal address
    cli("org", "set", "bank", "--iban", "GB82 WEST 1234 5698 7654 32", "--bic", "WESTGB2L")
    key = "final-demand/C1/INV-1"
    assert key in cli("plan", "--date", "2026-06-15").output
    cli("approve", key, "--by", "owner@northwind.example", "--date", "2026-06-15")
    cli("apply", "--date", "2026-06-15")
    [m] = [m for m in smtp.messages if m.subject.startswith("Letter before action")]
    return m


# Interest from 2 April at Bank Rate on 31 Dec 2025 (3.75%) + 8 = 11.75%, 2 April..15 June is
# 75 days: 1,200 x 11.75% x 75/365 = 28.9726 -> £28.97. Compensation for 1,000..9,999.99: £70.
# Claimed: 1,200.00 + 28.97 + 70.00 = £1,298.97. Deadline: 15 June + 14 days = Monday 29 June.
CLAIM = [
    "What we claim, as of 15 June 2026:",
    "INV-1, due 1 April 2026",
    "Principal (unpaid on the invoice) £1,200.00",
    "Interest at 11.75% a year from 2 April 2026 £28.97",
    "Fixed compensation £70.00",
    "Total £1,298.97",
    "Basis: Late Payment of Commercial Debts (Interest) Act 1998",
    "Total claimed £1,298.97",
]
ASK = "Unless the total claimed, £1,298.97, is paid within 14 days of this letter, by 29 June 2026, we intend to start proceedings"
PAY = "Please pay by bank transfer to the account below, quoting INV-1."
BANK = ["Our bank details for payment", "IBAN: GB82 WEST 1234 5698 7654 32", "BIC: WESTGB2L"]


def test_the_email_states_the_claim_the_deadline_and_how_to_pay(demand):
    text = " ".join(demand.text.split())
    for words in (*CLAIM, ASK, PAY, *BANK):
        assert words in text, (words, demand.text)
    html = " ".join(demand.html.split())
    assert "<strong>£1,298.97</strong>" in html and "29 June 2026" in html


def test_the_letter_is_addressed_to_the_clients_postal_address_and_says_the_same(demand):
    [letter] = [p for p in demand.message.iter_attachments()]
    assert letter.get_content_type() == "application/pdf"
    text = pdf_text(letter.get_content())
    # the address block: the client, the person, the street, the town, the country
    where = [
        text.index(w)
        for w in (
            "Acme Logistics",
            "Pat Payables",
            "1 Canal Street",
            "Manchester M1 3HE",
            "United Kingdom",
        )
    ]
    assert where == sorted(where), text[:600]
    for words in ("Principal (unpaid on the invoice", "£1,200.00", "£28.97", "£70.00", "£1,298.97"):
        assert words in text, words
    assert "29 June 2026" in text and "Late Payment of Commercial Debts (Interest) Act 1998" in text
    # the bank details, in the body and in each page's footer
    assert text.count("GB82 WEST 1234 5698 7654 32") >= 2 and "WESTGB2L" in text
