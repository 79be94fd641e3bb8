"""Email through Django's default mailer, one connection per run.

With Django's SMTP backend the message is built here with the standard library's `email`
package in its compat32 mode and handed to the backend's open SMTP connection: Django's own
message building parses every header through the modern header registry, which costs more
than the SMTP exchange itself on a fast mail server. Other backends (console, file, memory) get
a Django EmailMultiAlternatives, as usual.
"""

from __future__ import annotations

import smtplib
import socket
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, getaddresses

from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from arrears.channels.base import Outgoing, Transport, TransportError

WIRE = compat32.clone(linesep="\r\n")  # SMTP wants CRLF line ends; bytes are sent as they are
UTF8 = Charset("utf-8")
UTF8.body_encoding = QP  # readable in a mail client's "show original", safe for 8-bit-less relays


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

    def send(self, message: Outgoing) -> None:
        backend = self._backend()
        try:
            if isinstance(backend, SMTPBackend) and backend.connection is not None:
                recipients = [*message.to, *message.cc]
                backend.connection.sendmail(_address(message.from_email), recipients, mime(message))
            else:
                backend.send_messages([django_message(message)])
        except Exception as exc:  # noqa: BLE001 - classified below
            self.close()  # a broken connection is not reused
            raise classify(exc) from exc

    def close(self) -> None:
        if self.backend is not None:
            try:
                self.backend.close()
            except Exception:  # noqa: BLE001 - closing a dead connection may fail; nothing to do
                pass
            self.backend = None


def _address(value: str) -> str:
    return getaddresses([value])[0][1]


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def _addresses(values) -> str:
    out = []
    for name, addr in getaddresses(list(values)):
        out.append(
            formataddr((str(Header(name, "utf-8")) if name and not name.isascii() else name, addr))
        )
    return ", ".join(out)


def mime(message: Outgoing) -> bytes:
    """The message as bytes for the wire: multipart/alternative with a text and an HTML part."""
    text = MIMEText(message.text, "plain", UTF8)
    if message.html:
        root = MIMEMultipart("alternative")
        root.attach(text)
        root.attach(MIMEText(message.html, "html", UTF8))
    else:
        root = text
    root["Subject"] = _header(message.subject)
    root["From"] = _addresses([message.from_email])
    root["To"] = _addresses(message.to)
    if message.cc:
        root["Cc"] = _addresses(message.cc)
    if message.reply_to:
        root["Reply-To"] = _addresses([message.reply_to])
    root["Date"] = formatdate(localtime=False)
    for name, value in message.headers.items():
        root[name] = _header(value)
    return root.as_bytes(policy=WIRE)


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
    return email


def classify(exc: Exception) -> TransportError:
    """4xx and network trouble are temporary; 5xx and refused recipients are permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = all(500 <= c < 600 for c in codes)
        return TransportError(f"recipients refused: {exc.recipients}", permanent=permanent)
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return TransportError(f"SMTP {exc.smtp_code}: {text}", permanent=500 <= exc.smtp_code < 600)
    if isinstance(
        exc,
        (smtplib.SMTPServerDisconnected, ConnectionError, socket.timeout, TimeoutError, OSError),
    ):
        return TransportError(f"mail server unreachable: {exc}", permanent=False)
    if isinstance(exc, smtplib.SMTPException):
        return TransportError(f"SMTP error: {exc}", permanent=False)
    return TransportError(f"{type(exc).__name__}: {exc}", permanent=True)
