"""Email through Django's default mailer, one connection per run.

With Django's SMTP backend the message is written out here (`mime`) and handed to the
backend's open SMTP connection: Django's own message building parses every header through the
modern header registry, which costs more than the SMTP exchange itself on a fast mail server.
Other backends (console, file, memory) get a Django EmailMultiAlternatives, as usual.
"""

from __future__ import annotations

import base64
import binascii
import re
import smtplib
import socket
import uuid
from collections.abc import Callable
from email.header import Header
from email.utils import formataddr, formatdate, getaddresses
from functools import lru_cache

from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from arrears.channels.base import Outgoing, Transport, TransportError

CRLF = "\r\n"  # SMTP wants CRLF line ends; the bytes are sent as they are
DOT = re.compile(rb"(?m)^\.")  # a line starting with a dot gets a second one (RFC 5321 4.5.2)


class EmailTransport(Transport):
    kind = "email"

    def __init__(self):
        self.backend = None

    def _backend(self):
        if self.backend is None:
            backend = mailers.default
            try:
                backend.open()
            except Exception as exc:  # noqa: BLE001 - classified below
                raise classify(exc) from exc
            self.backend = backend
        return self.backend

    def send(self, message: Outgoing) -> tuple[str, ...]:
        return self.start(message)()

    def start(self, message: Outgoing) -> Callable[[], tuple[str, ...]]:
        """Hand the message to the server and return what waits for its answer: with SMTP, the
        server's reply to the end of the data is read only when that is called, so the caller
        can prepare its next message meanwhile. Either step may raise TransportError."""
        backend = self._backend()
        try:
            if isinstance(backend, SMTPBackend) and backend.connection is not None:
                return self._start_smtp(backend.connection, message)
            backend.send_messages([django_message(message)])
        except Exception as exc:  # noqa: BLE001 - classified below
            self._after(exc)
            raise classify(exc) from exc
        return _accepted

    def _after(self, exc: Exception) -> None:
        """A broken connection is not reused; one where the server refused this message (and
        the transaction was reset) serves the next: a day with a few bad addresses costs no
        reconnections."""
        smtp = getattr(self.backend, "connection", None)
        refused = (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException)
        if not (isinstance(exc, refused) and smtp is not None and smtp.sock is not None):
            self.close()

    def _start_smtp(self, smtp: smtplib.SMTP, message: Outgoing) -> Callable[[], tuple[str, ...]]:
        """smtplib's sendmail up to the end of the data (same commands, same errors), without
        waiting for the last reply. With a server that offers PIPELINING (RFC 2920), MAIL, the
        RCPTs and DATA go in one write and their replies are read together: one round trip
        for the envelope instead of one per command."""
        data = mime(message)
        smtp.ehlo_or_helo_if_needed()
        options = [f"size={len(data)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
        sender, recipients = _address(message.from_email), [*message.to, *message.cc]
        if smtp.does_esmtp and smtp.has_extn("pipelining"):
            refused = _envelope_pipelined(smtp, sender, options, recipients)
        else:
            refused = _envelope(smtp, sender, options, recipients)
        data = DOT.sub(b"..", data)
        smtp.send(data + (b".\r\n" if data.endswith(b"\r\n") else b"\r\n.\r\n"))

        def finish() -> tuple[str, ...]:
            try:
                code, reply = smtp.getreply()
                if code != 250:
                    _reset(smtp, code)
                    raise smtplib.SMTPDataError(code, reply)
            except Exception as exc:  # noqa: BLE001 - classified below
                self._after(exc)
                raise classify(exc) from exc
            return tuple(f"{a} ({c} {_text(r)})" for a, (c, r) in sorted(refused.items()))

        return finish

    def close(self) -> None:
        if self.backend is not None:
            try:
                self.backend.close()
            except Exception:  # noqa: BLE001 - closing a dead connection may fail; nothing to do
                pass
            self.backend = None


def _envelope(smtp: smtplib.SMTP, sender: str, options, recipients) -> dict:
    """MAIL, each RCPT, DATA, one at a time, as smtplib's sendmail. Returns the recipients
    the server refused while it took others."""
    code, reply = smtp.mail(sender, options)
    if code != 250:
        _reset(smtp, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused = {}
    for each in recipients:
        code, reply = smtp.rcpt(each)
        if code not in (250, 251):
            refused[each] = (code, reply)
        if code == 421:
            smtp.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _reset(smtp, 0)
        raise smtplib.SMTPRecipientsRefused(refused)
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        _reset(smtp, code)
        raise smtplib.SMTPDataError(code, reply)
    return refused


def _envelope_pipelined(smtp: smtplib.SMTP, sender: str, options, recipients) -> dict:
    """MAIL, the RCPTs and DATA in one write, then their replies in order (RFC 2920: every
    reply is checked; a DATA accepted after all else failed gets an empty message)."""
    extra = "".join(f" {o}" for o in options)
    lines = [
        f"MAIL FROM:{smtplib.quoteaddr(sender)}{extra}",
        *(f"RCPT TO:{smtplib.quoteaddr(r)}" for r in recipients),
        "DATA",
    ]
    smtp.send("".join(line + CRLF for line in lines))
    mail = smtp.getreply()
    rcpts = [smtp.getreply() for _ in recipients]
    data = smtp.getreply()
    refused = {
        r: reply for r, reply in zip(recipients, rcpts, strict=True) if reply[0] not in (250, 251)
    }
    if mail[0] != 250:
        problem: smtplib.SMTPException = smtplib.SMTPSenderRefused(*mail, sender)
    elif len(refused) == len(recipients):
        problem = smtplib.SMTPRecipientsRefused(refused)
    elif data[0] != 354:
        problem = smtplib.SMTPDataError(*data)
    else:
        return refused
    if data[0] == 354:  # the server took DATA anyway: end the transaction with nothing in it
        smtp.send("." + CRLF)
        smtp.getreply()
    closing = any(code == 421 for code, _ in (mail, *rcpts, data))
    _reset(smtp, 421 if closing else 0)
    raise problem


def _reset(smtp: smtplib.SMTP, code: int) -> None:
    """After a refusal: a server that said 421 is closing; otherwise the transaction is reset
    for the next message (a server gone meanwhile is found by the next command)."""
    if code == 421:
        smtp.close()
        return
    try:
        smtp.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def _accepted() -> tuple[str, ...]:
    return ()


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


@lru_cache(maxsize=256)  # the sender's address, the same for every message
def _address(value: str) -> str:
    return getaddresses([value])[0][1]


def _header(name: str, value: str) -> str:
    """One header line, RFC 2047-encoded when it is not ASCII, folded at spaces past 78."""
    if not value.isascii():
        return f"{name}: " + Header(value, "utf-8", header_name=name).encode(linesep=CRLF)
    line = f"{name}: {value}"
    if len(line) <= 78:
        return line
    out, current = [], f"{name}:"
    for word in value.split(" "):
        if len(current) + 1 + len(word) > 78 and current.strip() != f"{name}:":
            out.append(current)
            current = ""
        current += " " + word
    out.append(current)
    return CRLF.join(out)


def _addresses(values) -> str:
    return _addresses_of(tuple(values))


@lru_cache(maxsize=1024)  # From and Reply-To are the same on every message; To, Cc per client
def _addresses_of(values: tuple[str, ...]) -> str:
    return ", ".join(
        formataddr((name, addr), charset="utf-8") for name, addr in getaddresses(list(values))
    )


def _part(subtype: str, body: str) -> tuple[str, str]:
    """(headers, body) of a text part."""
    data = body.replace("\r\n", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(data, istext=True).decode("ascii").replace("\n", CRLF)
    headers = (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        "Content-Transfer-Encoding: quoted-printable"
    )
    return headers, encoded


def _boundary() -> str:
    return f"=_arrears_{uuid.uuid4().hex}"  # random: cannot occur in QP or base64 bodies


def _content(message: Outgoing) -> tuple[str, str]:
    """(headers, body) of the text, or of the text and HTML alternatives."""
    if not message.html:
        return _part("plain", message.text)
    boundary = _boundary()
    body = "".join(
        f"{CRLF}--{boundary}{CRLF}{head}{CRLF}{CRLF}{text}"
        for head, text in (_part("plain", message.text), _part("html", message.html))
    )
    return (
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        f"{body}{CRLF}--{boundary}--{CRLF}",
    )


def _mixed(head: str, body: str, attachments) -> tuple[str, str]:
    """(headers, body) of the content followed by the attachments, base64-encoded."""
    boundary = _boundary()
    out = f"{CRLF}--{boundary}{CRLF}{head}{CRLF}{CRLF}{body}"
    for a in attachments:
        name = a.filename if a.filename.isascii() else Header(a.filename, "utf-8").encode()
        data = base64.encodebytes(a.content).decode("ascii").replace("\n", CRLF)
        out += (
            f"{CRLF}--{boundary}{CRLF}Content-Type: {a.mimetype}{CRLF}"
            f"Content-Transfer-Encoding: base64{CRLF}"
            f'Content-Disposition: attachment; filename="{name}"{CRLF}{CRLF}{data}'
        )
    return (
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
        f"{out}{CRLF}--{boundary}--{CRLF}",
    )


def mime(message: Outgoing) -> bytes:
    """The message as bytes for the wire: multipart/alternative with a text and an HTML part
    (inside multipart/mixed with the attachments when there are any), quoted-printable UTF-8
    (readable in a mail client's "show original"), CRLF line ends.
    Written out directly: the `email` package's generator (folding every header through its
    policy, scanning bodies for a boundary) cost more than the SMTP exchange."""
    lines = [
        _header("Subject", message.subject),
        f"From: {_addresses([message.from_email])}",
        f"To: {_addresses(message.to)}",
    ]
    if message.cc:
        lines.append(f"Cc: {_addresses(message.cc)}")
    if message.reply_to:
        lines.append(f"Reply-To: {_addresses([message.reply_to])}")
    lines.append(f"Date: {formatdate(localtime=False)}")
    lines += [_header(name, value) for name, value in message.headers.items()]
    lines.append("MIME-Version: 1.0")
    head, body = _content(message)
    if message.attachments:
        head, body = _mixed(head, body, message.attachments)
    lines.append(head)
    return (CRLF.join(lines) + CRLF + CRLF + body).encode("ascii")


def django_message(message: Outgoing) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=message.from_email,
        to=list(message.to),
        cc=list(message.cc),
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=message.headers,
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    for a in message.attachments:
        email.attach(a.filename, a.content, a.mimetype)
    return email


def classify(exc: Exception) -> TransportError:
    """4xx and network trouble are temporary; 5xx and refused recipients are permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = all(500 <= c < 600 for c in codes)
        return TransportError(f"recipients refused: {exc.recipients}", permanent=permanent)
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        return TransportError(
            f"SMTP {exc.smtp_code}: {_text(error)}", permanent=500 <= exc.smtp_code < 600
        )
    if isinstance(
        exc,
        (smtplib.SMTPServerDisconnected, ConnectionError, socket.timeout, TimeoutError, OSError),
    ):
        return TransportError(f"mail server unreachable: {exc}", permanent=False)
    if isinstance(exc, smtplib.SMTPException):
        return TransportError(f"SMTP error: {exc}", permanent=False)
    return TransportError(f"{type(exc).__name__}: {exc}", permanent=True)
