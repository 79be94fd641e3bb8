"""`ARREARS_EMAIL_URL=console://`: each message as one line, its recipients and subject (`to
ap@client.example, cc info@client.example: Follow-up: Invoice #INV-1 [OVERDUE]`), or whole
with `arrears apply --show-messages`."""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.core.mail.backends import console

BACKEND = f"{__name__}.EmailBackend"


class EmailBackend(console.EmailBackend):
    def __init__(self, *, show_messages: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.show_messages = show_messages

    def write_message(self, message) -> None:
        if self.show_messages:
            super().write_message(message)
            return
        cc = f", cc {', '.join(message.cc)}" if message.cc else ""
        self.stream.write(f"to {', '.join(message.to)}{cc}: {message.subject}\n")


@contextmanager
def messages_shown(shown: bool = True):
    """While it lasts, a console mailer prints each message whole (`arrears apply
    --show-messages`); other mailers are left as they are."""
    before = settings.MAILERS
    default = before.get("default", {})
    if not shown or default.get("BACKEND") != BACKEND:
        yield
        return
    options = {**default.get("OPTIONS", {}), "show_messages": True}
    settings.MAILERS = {**before, "default": {**default, "OPTIONS": options}}
    try:
        yield
    finally:
        settings.MAILERS = before
