"""The message as it goes on the wire reads back, in a standard parser, as what was composed:
non-ASCII subjects and names, long threading headers, both bodies, attachments."""

from __future__ import annotations

import email
from email import policy

import pytest

from arrears.channels.base import Attachment, Outgoing
from arrears.channels.email.transport import mime

REFERENCES = " ".join(f"<msg{i}.1234567890@northwind.example>" for i in range(12))


def outgoing(html: str, attachments=()) -> Outgoing:
    return Outgoing(
        "Zahlungserinnerung: Rechnung #INV-7 [ÜBERFÄLLIG]",
        "Sehr geehrte Frau Müller,\n\nbitte überweisen Sie 1.234,50 €.\n" + "lang " * 40,
        html,
        "Northwind Engineering <arrears@northwind.example>",
        ("Jürgen Weiß <jw@kunde.example>", "ap@kunde.example"),
        ("info@kunde.example",),
        "accounts@northwind.example",
        {"Message-ID": "<m1@northwind.example>", "References": REFERENCES},
        attachments,
    )


@pytest.mark.parametrize("html", ["<p>Grüße — Northwind</p>", ""])
@pytest.mark.parametrize("with_pdf", [True, False])
def test_a_message_reads_back_as_it_was_composed(html, with_pdf):
    pdf = Attachment("Zahlungsplan-P1.pdf", b"%PDF-1.7\n\x00\xff" * 100)
    sent = outgoing(html, (pdf,) if with_pdf else ())
    wire = mime(sent)
    assert all(len(line) <= 998 for line in wire.split(b"\r\n")), "RFC 5322 line limit"
    m = email.message_from_bytes(wire, policy=policy.default)
    assert m["Subject"] == sent.subject
    assert [a.display_name for a in m["To"].addresses] == ["Jürgen Weiß", ""]
    assert m["Cc"] == "info@kunde.example"
    assert m["References"].split() == REFERENCES.split()
    text = m.get_body(("plain",)).get_content()
    assert "überweisen Sie 1.234,50 €" in text
    assert text.replace("\r\n", "\n").rstrip() == sent.text.rstrip()
    if html:
        assert m.get_body(("html",)).get_content().strip() == html
    else:
        assert m.get_body(("html",)) is None
    attached = list(m.iter_attachments())
    if with_pdf:
        assert [(a.get_filename(), a.get_content()) for a in attached] == [
            (pdf.filename, pdf.content)
        ]
    else:
        assert attached == []
