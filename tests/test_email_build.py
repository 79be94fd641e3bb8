"""Messages are built from parts shared across a run (headers folded once per value, one
boundary for the text and HTML parts), ahead of the conversation with the server; each message
still says only what it was given, written for the server it is handed to."""

from __future__ import annotations

import email
import email.policy

import pytest

from arrears.channels.base import Outgoing, TransportError
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


def test_after_the_server_closed_the_connection_the_next_message_goes_over_a_new_one(smtp):
    """The message is built before the one before it has gone out; the connection is opened
    again where it is handed over, and the message written for the server as it is then."""
    smtp.fail_data_for = {"first@kunde.example": "421 4.3.2 closing, try later"}
    with EmailTransport() as transport:
        first = transport.start(outgoing("Hallo\n", to="first@kunde.example"))
        later = transport.start(outgoing("Hallo\n", to="jürgen@kunde.example"))
        with pytest.raises(TransportError) as failed:
            first()
        assert not failed.value.permanent
        smtp.smtputf8 = True  # the server reached again offers SMTPUTF8
        assert later() == ()
    [got] = smtp.messages
    assert got.rcpt_tos == ["jürgen@kunde.example"] and got.smtputf8
    assert smtp.greetings == 2
