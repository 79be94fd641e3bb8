"""The grounds of a claim in words: the same parts said in English, German and French (the
formal notices speak the client's language); pure functions, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from arrears.core.basis import (
    HALF_YEARLY,
    HELD,
    LANGUAGES,
    PHRASES,
    SERIES,
    Citation,
    Contractual,
    Converted,
    FeeInstead,
    NotConverted,
    Statute,
    cited,
    words,
)
from arrears.core.interest import Debt, statutory_claim
from arrears.core.latepayment import RateHistory, packaged_rates, rule_for
from arrears.core.money import Money

UK = Statute(
    "Late Payment of Commercial Debts (Interest) Act 1998",
    "s.4",
    "BOE_BANK_RATE",
    Decimal("8"),
    HELD,
    False,
    "s.5A",
)
EU = Statute("Directive 2011/7/EU", "Art.3", "ECB_MRO", Decimal("8.5"), HALF_YEARLY, False, "")
CLAUSE = Contractual(Decimal("1.5"), Money(Decimal("50"), "GBP"), 10, Decimal("20"))


def test_english_is_worded_as_the_claims_have_always_been():
    assert words((UK, NotConverted(Money(Decimal("40"), "GBP"), "USD"))) == (
        "Late Payment of Commercial Debts (Interest) Act 1998 (s.4): Bank of England base rate"
        " + 8 points, the reference rate in force on the 31 December or 30 June before interest"
        " started, held for the debt; simple interest; fixed compensation s.5A"
        " (40.00 GBP: no exchange rate to USD, not included)"
    )
    assert words((CLAUSE,)) == (
        "Contract: interest at 1.5% a year and a late fee of 50.00 GBP, from 10 days after the"
        " due date; interest capped at 20% of the principal"
    )


def test_german_and_french_say_the_same_parts_in_their_words_and_numbers():
    converted = Converted(Money(Decimal("40"), "EUR"), "GBP", Decimal("0.8712"), date(2026, 3, 31))
    assert words((EU, converted), "de") == (
        "Directive 2011/7/EU (Art.3): Hauptrefinanzierungssatz der EZB + 8,5 Prozentpunkte,"
        " jeweils der Referenzzinssatz des Halbjahres (1. Januar / 1. Juli); ohne Zinseszins;"
        " Verzugspauschale (40,00\xa0€ zum Kurs 1 EUR = 0,8712 GBP vom 2026-03-31)"
    )
    assert words((CLAUSE,), "fr") == (
        "Contrat : intérêts au taux de 1,5 % l'an et une pénalité de retard de 50,00\xa0£GB,"
        " à compter de 10 jours après l'échéance ; intérêts plafonnés à 20 % du principal"
    )
    fee = FeeInstead("K7", Money(Decimal("25"), "EUR"))
    assert words((fee,), "de") == (
        "; anstelle der Verzugspauschale die Verzugsgebühr aus Vertrag K7: 25,00\xa0€"
    )


def test_a_language_without_words_of_its_own_reads_english():
    assert words((CLAUSE,), "nl") == words((CLAUSE,))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_phrase_and_reference_rate_is_worded_in_every_language(lang):
    assert PHRASES[lang].keys() == PHRASES["en"].keys()
    assert all(lang in names for names in SERIES.values())


def test_a_claim_keeps_its_grounds_and_says_them_in_english():
    rule = rule_for("DE")
    history = RateHistory.of(packaged_rates())
    claim = statutory_claim(
        Debt(Money(Decimal("5000"), "EUR"), date(2026, 4, 1)), rule, history, date(2026, 4, 22)
    )
    assert claim.grounds == (rule.grounds(),)
    assert claim.basis == words(claim.grounds) == rule.basis()
    assert words(claim.grounds, "fr").startswith(
        "BGB (Buergerliches Gesetzbuch) (s.288(2) BGB) : Basiszinssatz (taux de base allemand,"
    )


SHORT = (
    Citation("en", "Late Payment of Commercial Debts (Interest) Act 1998, s.6", "s.5A"),
    Citation("de", "Late Payment of Commercial Debts (Interest) Act 1998, Section 6", "Section 5A"),
)
UK_CITED = replace(UK, cited=SHORT)


def test_a_notice_cites_the_statute_the_short_way_and_the_rest_in_words():
    assert cited((UK_CITED,), "de") == (
        "Late Payment of Commercial Debts (Interest) Act 1998, Section 6; Verzugspauschale: "
        "Section 5A"
    )
    assert cited((UK_CITED, CLAUSE), "en") == (
        "Late Payment of Commercial Debts (Interest) Act 1998, s.6; fixed compensation: s.5A"
        + words((CLAUSE,))
    )


def test_a_contracts_fee_in_place_of_the_compensation_leaves_the_compensation_uncited():
    fee = FeeInstead("K7", Money(Decimal("25"), "GBP"))
    assert cited((UK_CITED, fee), "en") == (
        "Late Payment of Commercial Debts (Interest) Act 1998, s.6; instead of the fixed "
        "compensation, the late fee of contract K7: 25.00 GBP"
    )


def test_without_a_citation_in_its_language_a_statute_is_cited_in_english_or_in_full():
    assert cited((UK_CITED,), "fr").startswith(
        "Late Payment of Commercial Debts (Interest) Act 1998, s.6 ; "
    )
    assert cited((UK,), "de") == words((UK,), "de")
