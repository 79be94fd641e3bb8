"""What a mail server receives reads back, in a strict standard parser, as what was composed:
non-ASCII subjects and names, long threading headers, both bodies, attachments."""

from __future__ import annotations

from dataclasses import replace

import pytest

from arrears.channels.base import Attachment, Outgoing
from arrears.channels.email.transport import EmailTransport

REFERENCES = " ".join(f"<msg{i}.1234567890@northwind.example>" for i in range(12))


def outgoing(html: str, attachments=()) -> Outgoing:
    return Outgoing(
        "Zahlungserinnerung: Rechnung #INV-7 [ÜBERFÄLLIG]",
        "Sehr geehrte Frau Müller,\n\nbitte überweisen Sie 1.234,50 €.\n"
        + "lang " * 40
        + "\n.\nFrom here on, a line that starts with a dot or 'From ' stays as it is.\n",
        html,
        "Northwind Engineering <arrears@northwind.example>",
        ("jw@kunde.example", "ap@kunde.example"),
        ("info@kunde.example",),
        "accounts@northwind.example",
        {"Message-ID": "<m1@northwind.example>", "References": REFERENCES},
        attachments,
    )


@pytest.mark.parametrize("html", ["<p>Grüße — Northwind</p>", ""])
@pytest.mark.parametrize("with_pdf", [True, False])
def test_a_message_reads_back_as_it_was_composed(smtp, html, with_pdf):
    pdf = Attachment("Zahlungsplan-P1 für Müller.pdf", b"%PDF-1.7\n\x00\xff" * 100)
    sent = outgoing(html, (pdf,) if with_pdf else ())
    with EmailTransport() as transport:
        assert transport.send(sent) == ()
    [got] = smtp.messages
    m = got.message
    assert got.mail_from == "arrears@northwind.example"
    assert got.rcpt_tos == ["jw@kunde.example", "ap@kunde.example", "info@kunde.example"]
    assert m["Subject"] == sent.subject
    assert [a.display_name for a in m["From"].addresses] == ["Northwind Engineering"]
    assert m["To"] == "jw@kunde.example, ap@kunde.example"
    assert m["Cc"] == "info@kunde.example"
    assert m["Reply-To"] == "accounts@northwind.example"
    assert m["Message-ID"] == "<m1@northwind.example>"
    assert m["References"].split() == REFERENCES.split()
    assert m["Date"].datetime is not None
    text = m.get_body(("plain",)).get_content()
    assert "überweisen Sie 1.234,50 €" in text
    assert text.replace("\r\n", "\n").rstrip() == sent.text.rstrip()
    if html:
        assert m.get_body(("html",)).get_content().strip() == html
    else:
        assert m.get_body(("html",)) is None
    attached = list(m.iter_attachments())
    if with_pdf:
        assert [(a.get_filename(), a.get_content_type(), a.get_content()) for a in attached] == [
            (pdf.filename, "application/pdf", pdf.content)
        ]
    else:
        assert attached == []


def test_one_connection_serves_a_whole_run(smtp):
    with EmailTransport() as transport:
        for _ in range(5):
            transport.send(outgoing("", ()))
    assert len(smtp.messages) == 5 and smtp.greetings == 1


def test_a_message_sent_again_to_one_recipient_reads_as_the_one_the_others_got(smtp):
    """A recipient refused for a while (greylisting) later gets the very message: same
    headers, only its address in the envelope."""
    again = replace(outgoing(""), envelope=("info@kunde.example",))
    with EmailTransport() as transport:
        assert transport.send(again) == ()
    [got] = smtp.messages
    assert got.rcpt_tos == ["info@kunde.example"]
    assert got.header("To") == "jw@kunde.example, ap@kunde.example"
    assert got.header("Cc") == "info@kunde.example"
