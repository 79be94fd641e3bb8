"""An `Outgoing` as an `email.message.EmailMessage`: every header, part and parameter made by
the standard library from values (RFC 2047 and RFC 2231 where text is not ASCII, quoting where
a value needs it); nothing from the ledger becomes header syntax."""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import HeaderRegistry, UniqueAddressHeader
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime
from functools import lru_cache

from django.core import mail

from arrears.channels.base import Outgoing
from arrears.channels.email.addresses import Envelope, one_line


class AddressHeader(UniqueAddressHeader):
    """From, To, Cc, Reply-To, folded by the library unless folding changes what they say:
    CPython before 3.12.9 and 3.13.2 folds a quoted display name too long for one line without
    its quotes (gh-80222: `"Northwind …, Limited Liability Partnership"` reads as two
    addresses). Such a header stays on one line (RFC 5322 allows 998 characters)."""

    def fold(self, *, policy) -> str:
        folded = super().fold(policy=policy)
        if folded.count(policy.linesep) == 1:  # one line: nothing was folded
            return folded
        unfolded = "".join(folded.partition(":")[2].split(policy.linesep))
        if policy.header_factory(self.name, unfolded).addresses == self.addresses:
            return folded
        return super().fold(policy=policy.clone(max_line_length=998))


HEADERS = HeaderRegistry()
for name in ("from", "to", "cc", "reply-to"):
    HEADERS.map_to_type(name, AddressHeader)

# Bodies in quoted-printable or base64, so that any server takes them (no 8BITMIME needed)
# and a mail client's "show original" stays readable; headers in UTF-8 only with SMTPUTF8.
POLICY = SMTP.clone(cte_type="7bit", header_factory=HEADERS)
POLICY_UTF8 = SMTPUTF8.clone(cte_type="7bit", header_factory=HEADERS)


@lru_cache(maxsize=1024)
def header(name: str, value: str):
    """A header parsed once: From, Reply-To, a client's To and Cc and the Date of the second
    repeat through a run, and parsing a header costs more than sending it (bench/send.py)."""
    return POLICY.header_factory(name, value)


def build(message: Outgoing, envelope: Envelope) -> EmailMessage:
    """The message, its addresses as `envelope` wrote them for the server: text, with an HTML
    alternative when there is one, then the attachments."""
    m = EmailMessage(policy=POLICY_UTF8 if envelope.smtputf8 else POLICY)
    m["Subject"] = header("Subject", one_line(message.subject))
    m["From"] = header("From", str(envelope.sender))
    for name, addresses in (("To", envelope.to), ("Cc", envelope.cc)):
        if addresses:
            m[name] = header(name, ", ".join(map(str, addresses)))
    if envelope.reply_to is not None:
        m["Reply-To"] = header("Reply-To", str(envelope.reply_to))
    m["Date"] = header("Date", format_datetime(datetime.now(UTC).replace(microsecond=0)))
    for name, value in message.headers.items():
        m[name] = header(name, one_line(value))
    m.set_content(message.text)
    if message.html:
        m.add_alternative(message.html, subtype="html")
    for a in message.attachments:
        maintype, _, subtype = a.mimetype.partition("/")
        m.add_attachment(a.content, maintype, subtype, filename=one_line(a.filename))
    return m


class DjangoMessage(mail.EmailMessage):
    """The message as Django's other mailers take it (console, file, memory): its `message()`
    is the one `build` made, the same a mail server would get."""

    def __init__(self, built: EmailMessage, envelope: Envelope):
        super().__init__(
            subject=str(built["Subject"]),
            body="",
            from_email=str(envelope.sender),
            to=[str(a) for a in envelope.to],
            cc=[str(a) for a in envelope.cc],
        )
        self.built = built

    def message(self, *, policy=None) -> EmailMessage:
        return self.built
