"""Email through Django's default mailer, one connection per run.

With Django's SMTP backend, the message `message.build` composes goes through smtplib over
the backend's open connection (Django's own sending would drop the recipients a server
refuses among others, and cannot use SMTPUTF8). Other backends (console, file, memory) get
the same message through Django's interface.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable

from django.core.mail import InvalidMailer, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from arrears.channels.base import Outgoing, Refusal, Transport, TransportError
from arrears.channels.email.addresses import Envelope, Unwritable, envelope
from arrears.channels.email.message import DjangoMessage, build


class EmailTransport(Transport):
    kind = "email"

    def __init__(self):
        self.backend = None  # the default mailer, open
        self.smtp: bool | None = None  # whether it is Django's SMTP backend (None: not known yet)
        self.smtputf8 = False  # whether the mail server offered SMTPUTF8 when last greeted

    def _backend(self):
        if self.backend is None:
            try:
                backend = mailers.default
                backend.open()
            except Exception as exc:  # noqa: BLE001 - classified below
                raise classify(exc) from exc
            self.backend = backend
            self.smtp = isinstance(backend, SMTPBackend)
            if self.smtp:
                backend.connection.ehlo_or_helo_if_needed()
                self.smtputf8 = backend.connection.has_extn("smtputf8")
        return self.backend

    def send(self, message: Outgoing) -> tuple[Refusal, ...]:
        return self.start(message)()

    def start(self, message: Outgoing) -> Callable[[], tuple[Refusal, ...]]:
        """Build the message here and return what hands it to the server: a caller with a
        sender thread does the building (CPU) itself, even while the thread still talks to the
        server about the message before, and leaves only the conversation (waiting on the
        network) to the thread. Building never touches the connection: the message is written
        for what the server offered when last greeted (the first call connects), and written
        again at the handover in the rare case a reconnected server offers otherwise."""
        if self.smtp is None:
            self._backend()
        try:
            if self.smtp:
                utf8 = self.smtputf8
                try:
                    written, data = self._written(message, utf8)
                except Unwritable:  # maybe not for the server of the handover: tried there
                    written, data = None, b""
                return lambda: self._guarded(self._send_smtp, message, utf8, written, data)
            written = addressed(message, server_smtputf8=True)  # a file or a screen takes UTF-8
            built = DjangoMessage(build(message, written), written)
        except Unwritable as exc:
            raise TransportError(str(exc), permanent=True) from exc
        except Exception as exc:  # noqa: BLE001 - classified below
            raise classify(exc) from exc
        return lambda: self._guarded(self._send_other, built, written)

    def _written(self, message: Outgoing, smtputf8: bool) -> tuple[Envelope, bytes]:
        written = addressed(message, server_smtputf8=smtputf8)
        return written, build(message, written).as_bytes()

    def _guarded(self, fn, *args) -> tuple[Refusal, ...]:
        try:
            return fn(*args)
        except TransportError as exc:
            self._after(exc)
            raise
        except Unwritable as exc:
            raise TransportError(str(exc), permanent=True) from exc
        except Exception as exc:  # noqa: BLE001 - classified below
            self._after(exc)
            raise classify(exc) from exc

    def _send_other(self, built: DjangoMessage, written: Envelope):
        self._backend().send_messages([built])
        return written.refused

    def _send_smtp(self, message: Outgoing, utf8: bool, written: Envelope | None, data: bytes):
        smtp = self._backend().connection  # connects again after a broken connection
        if written is None or self.smtputf8 != utf8:  # reached again, the server offers otherwise
            written, data = self._written(message, self.smtputf8)
        options = ["SMTPUTF8", "BODY=8BITMIME"] if written.smtputf8 else []
        try:
            refused = smtp.sendmail(written.sender.addr_spec, written.recipients, data, options)
        except smtplib.SMTPRecipientsRefused as exc:  # none took it: say why for each
            exc.recipients.update({r.address: (r.code, r.reason) for r in written.refused})
            raise
        return written.refused + tuple(
            Refusal(address, code, _text(reply)) for address, (code, reply) in refused.items()
        )

    def _after(self, exc: Exception) -> None:
        """A broken connection is not reused; one where the server refused this message (and
        smtplib reset the transaction) serves the next: a day with a few bad addresses costs
        no reconnections."""
        smtp = getattr(self.backend, "connection", None)
        refused = (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException)
        if not (isinstance(exc, refused) and smtp is not None and smtp.sock is not None):
            self.close()

    def close(self) -> None:
        if self.backend is not None:
            try:
                self.backend.close()
            except Exception:  # noqa: BLE001 - closing a dead connection may fail; nothing to do
                pass
            self.backend = None


def addressed(message: Outgoing, *, server_smtputf8: bool) -> Envelope:
    """The message's envelope, or Unwritable when no recipient can be written for the server."""
    written = envelope(message, server_smtputf8=server_smtputf8)
    if not written.recipients:
        raise Unwritable(f"cannot send to {', '.join(map(str, written.refused)) or 'nobody'}")
    return written


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def classify(exc: Exception) -> TransportError:
    """4xx and network trouble are temporary; 5xx and refused recipients are permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        refused = ", ".join(f"{a} ({c} {_text(r)})" for a, (c, r) in exc.recipients.items())
        return TransportError(
            f"recipients refused: {refused}", permanent=all(500 <= c < 600 for c in codes)
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        return TransportError(
            f"SMTP {exc.smtp_code}: {_text(error)}", permanent=500 <= exc.smtp_code < 600
        )
    if isinstance(
        exc,
        (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError, socket.gaierror),
    ):
        return TransportError(f"mail server unreachable: {exc}", permanent=False)
    if isinstance(exc, smtplib.SMTPException):
        return TransportError(f"SMTP error: {exc}", permanent=False)
    if isinstance(exc, (InvalidMailer, OSError)):  # settings, TLS or a folder to fix: retried
        return TransportError(f"mailer: {exc}", permanent=False)
    return TransportError(f"{type(exc).__name__}: {exc}", permanent=True)
