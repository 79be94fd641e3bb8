"""Letters and attachments: the letter layout renders to a real PDF (text checked with
poppler's pdftotext, which scripts/system-packages.sh installs), and an email carries its attachment on the wire and through Django's
other mail backends."""

from __future__ import annotations

import email
import email.policy
import subprocess

import pytest

from arrears.channels.base import Attachment, Outgoing
from arrears.channels.email.addresses import envelope
from arrears.channels.email.message import build
from arrears.channels.letter.render import render_html, render_pdf

CONTEXT = {
    "org_name": "Northwind Engineering",
    "org_address": "12 Harbour Street\nBristol BS1 4QA",
    "org_email": "accounts@northwind.example",
    "recipient": "Acme Logistics\nFor the attention of Pat Payables",
    "greeting": "Pat Payables",
    "client_name": "Acme Logistics",
    "client_id": "C1",
    "date": "11 May 2026",
    "reference": "Payment plan P1 · C1",
    "plan": "P1",
    "total": "£1,200.00",
    "count": 3,
    "cadence_words": "monthly",
    "first_date": "15 May 2026",
    "first_amount": "£400.00",
    "invoices": [
        {"number": "INV-1", "issue_date": "1 Apr 2026", "due_date": "5 May 2026",
         "outstanding": "£1,200.00"},
    ],
    "schedule": [
        {"number": 1, "due": "15 May 2026", "amount": "£400.00", "balance": "£800.00"},
        {"number": 2, "due": "15 Jun 2026", "amount": "£400.00", "balance": "£400.00"},
        {"number": 3, "due": "15 Jul 2026", "amount": "£400.00", "balance": "£0.00"},
    ],
    "remind_before": 3,
    "grace_days": 3,
    "late_fee": "£25.00",
    "on_miss": "void",
    "offer_until": "25 May 2026",
}  # fmt: skip


def test_the_plan_letter_escapes_what_it_quotes():
    html = render_html("plan-offer", {**CONTEXT, "client_name": "<Acme & Sons>"})
    assert "&lt;Acme &amp; Sons&gt;" in html and "<Acme" not in html


def test_the_plan_letter_is_a_pdf_with_the_schedule_and_the_terms(tmp_path):
    path = tmp_path / "plan.pdf"
    path.write_bytes(render_pdf("plan-offer", CONTEXT))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = " ".join(text.split())
    assert "Northwind Engineering" in words and "For the attention of Pat Payables" in words
    assert "Payment plan P1: £1,200.00 in 3 instalments" in words
    assert "15 Jun 2026 £400.00 £400.00" in words  # the schedule, balance after each
    assert "A late fee of £25.00 is charged for each missed instalment" in words
    assert "How to accept" in words


def test_an_attachment_travels_with_the_message():
    message = Outgoing(
        "Payment plan P1",
        "Text",
        "<p>Text</p>",
        "Northwind <arrears@northwind.example>",
        ("ap@acme.example",),
        attachments=(Attachment("plan.pdf", b"%PDF-1.7 fake"),),
    )
    wire = build(message, envelope(message, server_smtputf8=False)).as_bytes()
    parsed = email.message_from_bytes(wire, policy=email.policy.strict)
    assert parsed.get_content_type() == "multipart/mixed"
    assert parsed.get_body(("plain",)).get_content().strip() == "Text"
    [part] = list(parsed.iter_attachments())
    assert (part.get_filename(), part.get_content_type()) == ("plan.pdf", "application/pdf")
    assert part.get_content() == b"%PDF-1.7 fake"


def pdf_text(tmp_path, pdf: bytes) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())


@pytest.mark.parametrize(
    "language, words",
    [
        ("de", ["Ratenplan P1: £1,200.00 in 3 Raten", "Datum", "Seite 1 von", "So nehmen Sie an"]),
        ("fr", ["Échéancier P1 : £1,200.00 en 3 versements", "Notre référence", "Pour accepter"]),
        ("es", ["Payment plan P1: £1,200.00 in 3 instalments", "Our reference"]),  # no Spanish yet
    ],
)
def test_the_letter_is_written_in_the_clients_language(tmp_path, language, words):
    text = pdf_text(tmp_path, render_pdf("plan-offer", CONTEXT, language=language))
    assert all(w in text for w in words), text[:400]
