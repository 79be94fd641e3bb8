"""A real SMTP server in the test process (aiosmtpd), to receive what arrears sends.

Every message it receives is read back with `email.policy.strict`: one that does not parse, or
parses with defects, or uses 8-bit addresses or headers without SMTPUTF8, is listed in
`Sink.malformed`, and `smtp_server` fails the test that sent it when it closes."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.errors import NonASCIILocalPartDefect

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage
    smtputf8: bool = False  # the client asked for SMTPUTF8 (MAIL FROM:<…> SMTPUTF8)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def header(self, name: str) -> str:
        value = self.message[name]
        return "" if value is None else str(value)

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


@dataclass
class Sink:
    """Collects messages. `refuse` maps an address to an SMTP reply for RCPT TO;
    `fail_data` makes DATA answer with that reply (e.g. '451 try later'); `fail_data_for` does
    it only for messages to the given address; `smtputf8` offers SMTPUTF8 (RFC 6531) in the
    EHLO reply, as most mail servers now do."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    fail_data: str | None = None
    fail_data_for: dict[str, str] = field(default_factory=dict)
    smtputf8: bool = False
    delay: float = 0.0  # seconds to wait before answering DATA
    greetings: int = 0  # EHLOs received: one per connection from smtplib
    malformed: list[str] = field(default_factory=list)  # what was wrong, one line each
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.greetings += 1
        if not self.smtputf8:  # the server decodes UTF-8 either way, so that misuse is seen
            responses = [r for r in responses if r != "250-SMTPUTF8"]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if envelope.smtp_utf8 and not self.smtputf8:
            return self.misuse(f"MAIL FROM:<{address}> asks for SMTPUTF8, which was not offered")
        if not envelope.smtp_utf8 and not address.isascii():
            return self.misuse(f"MAIL FROM:<{address}> is not ASCII, without SMTPUTF8")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not envelope.smtp_utf8 and not address.isascii():
            return self.misuse(f"RCPT TO:<{address}> is not ASCII, without SMTPUTF8")
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_data:
            return self.fail_data
        for address in envelope.rcpt_tos:
            if address in self.fail_data_for:
                return self.fail_data_for[address]
        self.check(envelope.content, smtputf8=envelope.smtp_utf8)
        msg = read(envelope.content, email.policy.default, smtputf8=envelope.smtp_utf8)
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), msg, envelope.smtp_utf8)
        with self.lock:
            self.messages.append(received)
        return "250 OK"

    def check(self, data: bytes, *, smtputf8: bool) -> None:
        """The message as a strict reader takes it: it parses, no part or header has a defect,
        and its headers are ASCII unless the client asked for SMTPUTF8."""
        head = data.split(b"\r\n\r\n", 1)[0]
        problems = []
        if not smtputf8 and not head.isascii():
            problems.append("8-bit header without SMTPUTF8")
        try:
            msg = read(data, email.policy.strict, smtputf8=smtputf8)
            for part in msg.walk():
                problems += [f"{type(d).__name__}: {d}" for d in part.defects]
                for name, value in part.items():
                    problems += [
                        f"{name}: {type(d).__name__}: {d}"
                        for d in value.defects
                        # RFC 6532 allows it with SMTPUTF8; CPython < 3.15 flags it (gh-81074)
                        if not (smtputf8 and isinstance(d, NonASCIILocalPartDefect))
                    ]
        except Exception as exc:  # noqa: BLE001 - any failure to read it is what we report
            problems.append(f"{type(exc).__name__}: {exc}")
        if problems:
            self.misuse(f"message {head[:300]!r}: {'; '.join(problems)}")

    def misuse(self, problem: str) -> str:
        with self.lock:
            self.malformed.append(problem)
        return "554 5.6.0 malformed (see Sink.malformed)"

    def keys(self) -> list[str]:
        with self.lock:
            return [m.header("X-Arrears-Key") for m in self.messages]


def read(data: bytes, policy, *, smtputf8: bool) -> email.message.EmailMessage:
    """A message as received; with SMTPUTF8 its headers are UTF-8 (RFC 6532), which the
    standard library reads from text, not from bytes."""
    if smtputf8:
        return email.message_from_string(data.decode("utf-8"), policy=policy)
    return email.message_from_bytes(data, policy=policy)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server():
    """A sink on a free port; on leaving, fails if it received anything malformed."""
    sink = Sink()
    port = free_port()
    # SMTPUTF8 on in the server (the sink decides whether to offer it) so that what a client
    # sends without asking for it still arrives, to be reported rather than dropped.
    controller = Controller(sink, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
    assert not sink.malformed, "the SMTP sink received malformed mail:\n" + "\n".join(
        sink.malformed
    )
