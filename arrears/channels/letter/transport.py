"""`letter`: a formal letter (the final demand), sent as a PDF attached to an email in the
client's language. The PDF is printed when the message is composed (dunning/letters.py puts the
message's own words on the letterhead), so that it matches the ledger at the moment of sending;
a postal copy is the user's to print from the same file."""

from __future__ import annotations

from arrears.channels.email.transport import EmailTransport


class LetterTransport(EmailTransport):
    kind = "letter"
