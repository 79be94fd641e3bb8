"""A `letter` step (the final demand) goes out as a letter: the message, printed on the
organisation's letterhead with the client's address block (its postal address), the date, a
reference and the bank details in the footer, attached as a PDF to the email that carries it.
The letter's words are the message's own (its HTML body, in the client's language), so the
letter and the email never say different things."""

from __future__ import annotations

import re
from datetime import date

from babel import Locale
from babel.dates import format_date

from arrears.channels.base import Attachment
from arrears.channels.email.render import language_of
from arrears.channels.letter.letterhead import letterhead
from arrears.channels.letter.render import render_pdf

LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR"}
ATTENTION = {
    "en": "For the attention of {name}",
    "de": "z. Hd. {name}",
    "fr": "À l'attention de {name}",
}
BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S)


def letter(org, action, invoices, subject: str, html: str, on: date, contacts) -> Attachment:
    """The PDF of `action`'s message (`html`, as rendered for the email) about `invoices`."""
    client = action.client
    lang = language_of(client.language)
    loc = LOCALES[lang]
    named = [(email, name) for email, name in contacts if email in action.to]
    name = (named[0][1] or named[0][0]) if named else ""
    code = client.country[:2].upper()
    # the client's postal address, as a letter is addressed (the demand may be posted too)
    street = [x.strip() for x in (client.postal_address or "").splitlines() if x.strip()]
    recipient = "\n".join(
        line
        for line in (
            client.name,
            ATTENTION[lang].format(name=name) if name else "",
            *street,
            Locale.parse(loc).territories.get(code, code),
        )
        if line
    )
    found = BODY.search(html)
    context = {
        **letterhead(org, lang),
        "recipient": recipient,
        "client_id": client.external_id,
        "date": format_date(on, format="long", locale=loc),
        "reference": _numbers([i.number for i in invoices]),
        "title": subject,
        "body": found.group(1) if found else html,
    }
    pdf = render_pdf("message", context, language=lang)
    return Attachment(f"{action.step}-{client.external_id}-{on.isoformat()}.pdf", pdf)


def _numbers(numbers: list[str]) -> str:
    """The invoice numbers as the letter's reference (the first three, then how many more)."""
    shown = ", ".join(numbers[:3])
    return shown + (f" +{len(numbers) - 3}" if len(numbers) > 3 else "")
