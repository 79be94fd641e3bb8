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
        self.backend = None

    def _backend(self):
        if self.backend is None:
            try:
                backend = mailers.default
                backend.open()
            except Exception as exc:  # noqa: BLE001 - classified below
                raise classify(exc) from exc
            self.backend = backend
        return self.backend

    def send(self, message: Outgoing) -> tuple[Refusal, ...]:
        return self.start(message)()

    def start(self, message: Outgoing) -> Callable[[], tuple[Refusal, ...]]:
        """Build the message here and return what hands it to the server: a caller with a
        sender thread does the building (CPU) itself and leaves only the conversation with the
        server (waiting on the network) to the thread."""
        backend = self._backend()
        try:
            if isinstance(backend, SMTPBackend):
                smtp = backend.connection
                smtp.ehlo_or_helo_if_needed()
                written = addressed(message, server_smtputf8=smtp.has_extn("smtputf8"))
                data = build(message, written).as_bytes()
                return lambda: self._guarded(self._send_smtp, smtp, written, data)
            written = addressed(message, server_smtputf8=True)  # a file or a screen takes UTF-8
            built = DjangoMessage(build(message, written), written)
        except Unwritable as exc:
            raise TransportError(str(exc), permanent=True) from exc
        except Exception as exc:  # noqa: BLE001 - classified below
            self._after(exc)
            raise classify(exc) from exc
        return lambda: self._guarded(self._send_other, backend, built, written)

    def _guarded(self, fn, *args) -> tuple[Refusal, ...]:
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - classified below
            self._after(exc)
            raise classify(exc) from exc

    def _send_other(self, backend, built: DjangoMessage, written: Envelope):
        backend.send_messages([built])
        return written.refused

    def _send_smtp(self, smtp: smtplib.SMTP, written: Envelope, data: bytes):
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
