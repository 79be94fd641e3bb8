"""Channels: one folder and one transport class per way of reaching people.

`TRANSPORTS` is the registry the rest of the product derives its choices from; adding a channel
is adding a folder and a line here.
"""

from arrears.channels.base import Outgoing, Transport, TransportError
from arrears.channels.email.transport import EmailTransport

TRANSPORTS: dict[str, type[Transport]] = {
    EmailTransport.kind: EmailTransport,
}

__all__ = ["TRANSPORTS", "Outgoing", "Transport", "TransportError"]
