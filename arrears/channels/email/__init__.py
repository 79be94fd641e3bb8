"""Email: Django's mail framework (ARREARS_EMAIL_URL), templates per step and language.

Messages are composed with the standard library's `email` package and sent with smtplib over
the connection Django's SMTP backend opens (`transport.py`); every header is built by the
library from values, so nothing from the ledger becomes header syntax."""

from arrears.channels.email.addresses import sender

__all__ = ["sender"]
