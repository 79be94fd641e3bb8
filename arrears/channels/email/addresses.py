"""Addresses as a mail server and the headers take them.

A server that offers SMTPUTF8 (RFC 6531) gets every address as it is. One that does not gets
international domains in IDNA (`müller.example` -> `xn--mller-kva.example`), in the envelope
and in the headers alike; an address with a non-ASCII local part (`jürgen@…`) cannot be
written for it at all, so that recipient is refused here, alone, with the reason, and the
message goes to the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.errors import HeaderParseError, NonASCIILocalPartDefect
from email.headerregistry import Address
from email.policy import SMTP
from functools import lru_cache

from arrears.channels.base import Outgoing, Refusal

# What a server answers for an address it cannot take without SMTPUTF8 (RFC 6531 3.7.4.1).
CANNOT_WRITE = 553
NO_SMTPUTF8 = "non-ASCII before the @, and the mail server does not offer SMTPUTF8"


class Unwritable(ValueError):
    """An address that cannot be written for this server; the message says why."""


def one_line(value: str) -> str:
    """A value from the ledger as one line of text: each run of whitespace, line breaks
    included, becomes one space (a header is one line; the library refuses CR and LF in it)."""
    return " ".join(str(value).split())


def sender(name: str, address: str) -> str:
    """The From of a message: one address, `name` its display name, quoted where it needs to
    be (`"Charlie, Inc." <arrears@example.com>`)."""
    local, _, domain = address.rpartition("@")
    return str(Address(display_name=one_line(name), username=local, domain=domain))


@lru_cache(maxsize=4096)  # a run writes the same addresses again and again
def mailbox(address: str, *, smtputf8: bool) -> Address:
    """A bare address from the ledger as this server takes it. Raises Unwritable."""
    try:
        parsed = Address(addr_spec=address)
    except NonASCIILocalPartDefect:
        if not smtputf8:
            raise Unwritable(NO_SMTPUTF8) from None
        local, _, domain = address.rpartition("@")
        parsed = Address(username=local, domain=domain)
    except (ValueError, HeaderParseError, IndexError) as exc:
        raise Unwritable(f"not an email address ({exc})") from None
    if not parsed.username or not parsed.domain:
        raise Unwritable("not an email address")
    if smtputf8 or parsed.domain.isascii():
        return parsed
    try:
        domain = parsed.domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise Unwritable(f"its domain cannot be written in IDNA ({exc})") from None
    return Address(username=parsed.username, domain=domain)


@lru_cache(maxsize=64)  # one organisation, one From
def author(from_email: str) -> tuple[str, str]:
    """(display name, address) of a From value: what `sender` wrote, or a bare address."""
    found = SMTP.header_factory("From", one_line(from_email)).addresses
    if len(found) != 1:
        raise Unwritable(f"the sender {from_email!r} is not one address")
    return found[0].display_name, found[0].addr_spec


@dataclass(frozen=True)
class Envelope:
    """Who a message is from and to, written for one server: `to` and `cc` for the headers,
    `recipients` for RCPT TO (the message's `recipients`: To and Cc, or those it is sent to
    again), `refused` the recipients that cannot be written for it, and why."""

    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: Address | None
    recipients: tuple[str, ...]
    refused: tuple[Refusal, ...]
    smtputf8: bool  # addresses and headers go as they are, in UTF-8, with SMTPUTF8


def envelope(message: Outgoing, *, server_smtputf8: bool) -> Envelope:
    """The message's addresses for a server that offers SMTPUTF8 or not; SMTPUTF8 is asked
    for only when an address needs it. Raises Unwritable when the sender or the Reply-To (this
    installation's own addresses) cannot be written."""
    try:
        name, address = author(message.from_email)
    except Unwritable as exc:
        raise Unwritable(f"the sender cannot be written: {exc}") from None
    everyone = (address, *message.to, *message.cc, *message.recipients, message.reply_to)
    smtputf8 = server_smtputf8 and not all(a.isascii() for a in everyone)
    written: dict[str, Address | Unwritable] = {}
    for value in {*message.to, *message.cc, *message.recipients}:
        try:
            written[value] = mailbox(value, smtputf8=smtputf8)
        except Unwritable as exc:
            written[value] = exc
    try:
        own = mailbox(address, smtputf8=smtputf8)
        reply_to = mailbox(message.reply_to, smtputf8=smtputf8) if message.reply_to else None
    except Unwritable as exc:
        raise Unwritable(f"this installation's own address cannot be written: {exc}") from None

    def good(values: tuple[str, ...]) -> tuple[Address, ...]:
        return tuple(a for a in map(written.get, values) if isinstance(a, Address))

    return Envelope(
        sender=Address(name, own.username, own.domain),
        to=good(message.to),
        cc=good(message.cc),
        reply_to=reply_to,
        recipients=tuple(a.addr_spec for a in good(message.recipients)),
        refused=tuple(
            Refusal(value, CANNOT_WRITE, str(problem))
            for value in message.recipients
            if isinstance(problem := written[value], Unwritable)
        ),
        smtputf8=smtputf8,
    )
