"""Channels: one folder and one transport class per way of reaching people or systems.

- `email/` and `letter/` deliver `Outgoing` messages (the ladder's steps, notices, internal
  alerts; a letter is a PDF by email);
- `chat/` posts a Slack-compatible message (the daily digest);
- `webhook/`, `command/` and `escrow/` are the hooks a change of service level runs.

`CHANNELS` is the registry every other choice derives from: the hook kinds people can add
(`HOOKS`), and, through `kinds.OUTBOX_KINDS`, what each kind of outbox row is performed by.
Every channel reports failure with the one error, `TransportError(message, permanent=...)`.
Adding a channel is adding a folder and a line here.
"""

from arrears.channels.base import Outgoing, Refusal, Transport, TransportError
from arrears.channels.chat.transport import ChatTransport
from arrears.channels.command.transport import CommandTransport
from arrears.channels.email.transport import EmailTransport
from arrears.channels.escrow.transport import EscrowTransport
from arrears.channels.kinds import OUTBOX_KINDS
from arrears.channels.letter.transport import LetterTransport
from arrears.channels.webhook.transport import WebhookTransport

CHANNELS: dict[str, type] = {
    c.kind: c
    for c in (
        EmailTransport,
        LetterTransport,
        ChatTransport,
        WebhookTransport,
        CommandTransport,
        EscrowTransport,
    )
}
# the channels a change of service level can run as a hook (the choices of Hook.kind)
HOOKS = {kind: CHANNELS[kind]() for kind in OUTBOX_KINDS["hook"].channels}

__all__ = [
    "CHANNELS",
    "HOOKS",
    "OUTBOX_KINDS",
    "Outgoing",
    "Refusal",
    "Transport",
    "TransportError",
]
