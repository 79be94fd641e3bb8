"""What every letter says about its sender: the organisation's name, address, email and the
bank details a client pays to (the footer of each page). The letters' makers merge this into
their context, so that no letter leaves without saying where to pay."""

from __future__ import annotations


def letterhead(org, lang: str = "en") -> dict:
    address = (org.postal_address or "").strip()
    bank = org.bank
    return {
        "org_name": org.name,
        "org_address": address,
        "org_address_line": ", ".join(x.strip() for x in address.splitlines() if x.strip()),
        "org_email": org.accounts_email,
        "bank": bank.lines(lang),
        "bank_line": bank.line(lang),
    }
