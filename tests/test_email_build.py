"""Messages are built from parts shared across a run (headers folded once per value, one
boundary for the text and HTML parts); each message still says only what it was given."""

from __future__ import annotations

import email
import email.policy

from arrears.channels.base import Outgoing
from arrears.channels.email.addresses import envelope
from arrears.channels.email.message import BOUNDARY, build
from arrears.channels.email.transport import EmailTransport


def outgoing(text: str, to: str = "ap@kunde.example") -> Outgoing:
    return Outgoing(
        "Grüße: Rechnung #INV-7",
        text,
        "<p>Grüße</p>",
        "Northwind Engineering <arrears@northwind.example>",
        (to,),
        reply_to="accounts@northwind.example",
        headers={"Message-ID": "<m1@northwind.example>"},
    )


def test_a_text_holding_the_runs_boundary_still_reads_back_as_its_two_parts(smtp):
    text = f"Dear AP,\n--{BOUNDARY}\nthis line looks like the boundary.\n"
    with EmailTransport() as transport:
        assert transport.send(outgoing(text)) == ()
    [got] = smtp.messages
    assert got.text.replace("\r\n", "\n") == text
    assert got.html.strip() == "<p>Grüße</p>"


def test_the_same_header_is_written_for_each_server_as_that_server_takes_it():
    """A header made once for the run is folded per policy: raw UTF-8 only with SMTPUTF8."""
    message = outgoing("Hallo\n", to="rechnung@müller.example")
    for _ in range(2):  # the second time from what the first one kept
        utf8 = build(message, envelope(message, server_smtputf8=True)).as_bytes()
        ascii_ = build(message, envelope(message, server_smtputf8=False)).as_bytes()
        assert b"Subject: Gr\xc3\xbc\xc3\x9fe: Rechnung #INV-7" in utf8
        assert b"To: rechnung@m\xc3\xbcller.example" in utf8
        assert ascii_.isascii()
        assert b"Subject: =?utf-8?" in ascii_  # RFC 2047
        assert b"To: rechnung@xn--mller-kva.example" in ascii_
        parsed = email.message_from_bytes(ascii_, policy=email.policy.strict)
        assert parsed["Subject"] == message.subject
