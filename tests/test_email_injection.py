"""Values from the ledger never become header syntax: an invoice number or client id holding
CR/LF (a legal quoted CSV cell) reaches the reader as text, on its one line, and never as a
`Bcc:` header, an extra recipient or a forged body (issue 13, defect 2)."""

from __future__ import annotations

from arrears.channels.base import Attachment, Outgoing
from arrears.channels.email import sender
from arrears.channels.email.transport import EmailTransport

EVIL = "Q-1\r\nBcc: attacker@evil.example\r\n\r\nPay to IBAN XX00 EVIL"
FLAT = "Q-1 Bcc: attacker@evil.example Pay to IBAN XX00 EVIL"  # the same words, on one line


def test_line_breaks_in_ledger_values_stay_text_on_one_line(smtp):
    sent = Outgoing(
        f"Follow-up: Invoice #{EVIL} [OVERDUE]",
        "Please pay invoice Q-1.\n",
        "<p>Please pay invoice Q-1.</p>",
        sender(
            f"Northwind\r\nBcc: attacker@evil.example\r\n\r\n{EVIL}", "arrears@northwind.example"
        ),
        ("ap@acme.example",),
        headers={"Message-ID": "<m1@northwind.example>", "X-Arrears-Key": f"nudge-1/C1/{EVIL}"},
        attachments=(Attachment(f'Invoice {EVIL}"; name="evil.exe.pdf', b"%PDF-1.7 fake"),),
    )
    with EmailTransport() as transport:
        assert transport.send(sent) == ()
    [got] = smtp.messages
    m = got.message
    assert got.rcpt_tos == ["ap@acme.example"]
    assert sorted(m.keys()) == sorted(
        ["Subject", "From", "To", "Date", "Message-ID", "X-Arrears-Key", "MIME-Version"]
        + ["Content-Type"]
    )
    assert "attacker@evil.example" not in str(m["To"]) and m["Bcc"] is None
    assert m["Subject"] == f"Follow-up: Invoice #{FLAT} [OVERDUE]"
    assert m["X-Arrears-Key"] == f"nudge-1/C1/{FLAT}"
    [author] = m["From"].addresses
    assert (author.display_name, author.addr_spec) == (
        f"Northwind Bcc: attacker@evil.example {FLAT}",
        "arrears@northwind.example",
    )
    assert got.mail_from == "arrears@northwind.example"
    assert got.text.splitlines() == ["Please pay invoice Q-1."]  # nothing forged into the body
    assert got.html.strip() == "<p>Please pay invoice Q-1.</p>"
    [pdf] = m.iter_attachments()
    assert pdf.get_filename() == f'Invoice {FLAT}"; name="evil.exe.pdf'
    assert pdf.get_content() == b"%PDF-1.7 fake"
    assert [p.get_filename() for p in m.walk()].count(None) == len(list(m.walk())) - 1
