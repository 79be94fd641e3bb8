"""Email through Django's default mailer, one SMTP connection per run."""

from __future__ import annotations

import smtplib
import socket

from django.core.mail import EmailMultiAlternatives, mailers

from arrears.channels.base import Outgoing, Transport, TransportError


class EmailTransport(Transport):
    kind = "email"

    def __init__(self):
        self.backend = None

    def _backend(self):
        if self.backend is None:
            self.backend = mailers.default
            try:
                self.backend.open()
            except Exception as exc:  # noqa: BLE001 - classified below
                self.backend = None
                raise classify(exc) from exc
        return self.backend

    def send(self, message: Outgoing) -> None:
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
        backend = self._backend()
        try:
            backend.send_messages([email])
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


def classify(exc: Exception) -> TransportError:
    """4xx and network trouble are temporary; 5xx and refused recipients are permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = all(500 <= c < 600 for c in codes)
        return TransportError(f"recipients refused: {exc.recipients}", permanent=permanent)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return TransportError(f"SMTP {exc.smtp_code}: {text}", permanent=500 <= exc.smtp_code < 600)
    if isinstance(
        exc,
        (smtplib.SMTPServerDisconnected, ConnectionError, socket.timeout, TimeoutError, OSError),
    ):
        return TransportError(f"mail server unreachable: {exc}", permanent=False)
    if isinstance(exc, smtplib.SMTPException):
        return TransportError(f"SMTP error: {exc}", permanent=False)
    return TransportError(f"{type(exc).__name__}: {exc}", permanent=True)
