"""What every channel shares: the message to deliver, the transport, its one error type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class TransportError(Exception):
    """Delivery failed. `permanent` failures are not retried (a 5xx, no such recipient);
    temporary ones are, with backoff (a 4xx, a refused connection, a timeout)."""

    def __init__(self, message: str, *, permanent: bool = False, outcome=None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.outcome = outcome  # what the far side said, where a channel records it (hooks)


@dataclass(frozen=True)
class Refusal:
    """A recipient the far side refused while it accepted the message for the others. A
    temporary refusal (a 4xx: greylisting, a full mailbox) is tried again later for that
    recipient alone; a permanent one (a 5xx) is reported to the team."""

    address: str
    code: int
    reason: str

    @property
    def temporary(self) -> bool:
        return 400 <= self.code < 500

    def __str__(self) -> str:
        return f"{self.address} ({self.code} {self.reason})"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/pdf"


@dataclass(frozen=True)
class Outgoing:
    subject: str
    text: str
    html: str
    from_email: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    reply_to: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()  # files sent with it (a plan's PDF, a letter)
    # when set, the message (headers unchanged) goes to these addresses only: a recipient that
    # was refused for a while (greylisting) gets the very message the others got
    envelope: tuple[str, ...] = ()

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.envelope or (*self.to, *self.cc)


class Transport:
    """Delivers `Outgoing` messages. Use as a context manager so that one connection serves a
    whole run."""

    kind = ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, message: Outgoing) -> tuple[Refusal, ...]:
        """Send, or raise TransportError. Returns the recipients the server refused while it
        accepted the message for the others; empty when all took it."""
        raise NotImplementedError

    def start(self, message: Outgoing) -> Callable[[], tuple[Refusal, ...]]:
        """Hand the message over and return what gives its outcome (what `send` returns, or
        TransportError). A transport that can let the far side work while the caller prepares
        its next message answers later; by default the message is sent here."""
        refused = self.send(message)
        return lambda: refused

    def close(self) -> None:
        """Release the connection (reopened by the next send)."""
