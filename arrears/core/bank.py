"""Bank details a client pays to: IBAN and BIC, or a UK account number and sort code.

Strict parsers in the manner of `core.parsing`: each takes what a person typed, returns the
value in its stored form, or raises `Invalid` with a reason. The IBAN check is ISO 13616's:
the country's length and the ISO 7064 MOD 97-10 check digits, which catch every single wrong
character and almost every swap of two, before a client is told to pay into a mistyped account.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from arrears.core.parsing import Invalid

# IBAN lengths of the countries whose businesses and clients use arrears most (from the SWIFT
# IBAN registry); any other country is held to the general form and the check digits alone.
IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27,
    "GB": 22, "GR": 27, "HU": 28, "IE": 22, "IT": 27, "LU": 20, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "SE": 24,
}  # fmt: skip
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")
_SPACES = re.compile(r"[\s-]+")
# What the details are called where a client reads them.
LABELS = {
    "en": {
        "account_name": "Account name",
        "sort_code": "Sort code",
        "account_number": "Account number",
    },
    "de": {
        "account_name": "Kontoinhaber",
        "sort_code": "Sort Code (Bankleitzahl)",
        "account_number": "Kontonummer",
    },
    "fr": {
        "account_name": "Titulaire du compte",
        "sort_code": "Sort code (code guichet)",
        "account_number": "Numéro de compte",
    },
}


def mod97(text: str) -> int:
    """ISO 7064 MOD 97-10 of an IBAN rearranged for checking (letters as 10..35)."""
    rest = 0
    for char in text:
        rest = (rest * (100 if char.isalpha() else 10) + int(char, 36)) % 97
    return rest


def parse_iban(raw: str) -> str:
    """`GB82 WEST 1234 5698 7654 32` -> `GB82WEST12345698765432`."""
    iban = _SPACES.sub("", raw).upper()
    if not _IBAN.fullmatch(iban):
        raise Invalid(
            f"{raw!r} is not an IBAN: two letters of a country, two check digits, then the "
            "account (letters and digits)"
        )
    want = IBAN_LENGTHS.get(iban[:2])
    if want is not None and len(iban) != want:
        raise Invalid(f"{raw!r}: an IBAN of {iban[:2]} has {want} characters, this one {len(iban)}")
    if mod97(iban[4:] + iban[:4]) != 1:
        raise Invalid(f"{raw!r}: the check digits do not match (a character is mistyped)")
    return iban


def parse_bic(raw: str) -> str:
    """`COBADEFFXXX` or `COBADEFF`: bank, country, location and an optional branch."""
    bic = _SPACES.sub("", raw).upper()
    if not _BIC.fullmatch(bic):
        raise Invalid(
            f"{raw!r} is not a BIC: 8 or 11 characters (4 letters of the bank, 2 of the "
            "country, 2 of the place, then an optional branch of 3)"
        )
    return bic


def parse_sort_code(raw: str) -> str:
    """`12-34-56` or `123456` -> `12-34-56`."""
    digits = _SPACES.sub("", raw)
    if not (len(digits) == 6 and digits.isdigit()):
        raise Invalid(f"{raw!r} is not a sort code: six digits, as 12-34-56")
    return f"{digits[:2]}-{digits[2:4]}-{digits[4:]}"


def parse_account_number(raw: str) -> str:
    """A UK account number: eight digits."""
    digits = _SPACES.sub("", raw)
    if not (len(digits) == 8 and digits.isdigit()):
        raise Invalid(f"{raw!r} is not an account number: eight digits")
    return digits


def grouped(iban: str) -> str:
    """An IBAN as printed for people: in groups of four."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


class BankDetails(NamedTuple):
    """Where a client pays. Empty strings where a detail is not set."""

    account_name: str = ""
    iban: str = ""
    bic: str = ""
    account_number: str = ""
    sort_code: str = ""

    @property
    def is_set(self) -> bool:
        return bool(self.iban or self.account_number)

    def lines(self, lang: str = "en") -> list[tuple[str, str]]:
        """(label, value) pairs to print, in the order a payer types them into their bank,
        named in `lang` (English when there are no words in that language)."""
        if not self.is_set:
            return []
        labels = LABELS.get(lang, LABELS["en"])
        out = [(labels["account_name"], self.account_name)] if self.account_name else []
        if self.iban:
            out.append(("IBAN", grouped(self.iban)))
            if self.bic:
                out.append(("BIC", self.bic))
        if self.account_number:
            out.append((labels["sort_code"], self.sort_code))
            out.append((labels["account_number"], self.account_number))
        return out

    def line(self, lang: str = "en") -> str:
        """The details on one line (a letter's footer)."""
        colon = " : " if lang == "fr" else ": "  # French sets a space before a colon
        return " · ".join(f"{label}{colon}{value}" for label, value in self.lines(lang))
