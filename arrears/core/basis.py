"""The grounds of a late-payment claim, as data, and in words in the client's language.

A claim keeps its grounds as parts (the statute or the contract clause it rests on, and what
was added to it: a converted fixed sum, a contract's late fee in place of the statute's
compensation). `words(parts, lang)` says them in full, in English, German or French: the
English words are what the claim records and the CLI prints (names of laws and citations as
the research data gives them). `cited(parts, lang)` is what a notice to the client says: the
statute by its short citation in the client's language (`§ 288 Abs. 2 BGB`), the contract's
terms and any conversion in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from arrears.core.money import Money, format_money

LANGUAGES = ("en", "de", "fr")
# How a statute fixes its rate (core.latepayment's rules use these; defined here, where they
# are also said in words): one rate for the whole debt (UK), or each half-year's own (the EU).
HELD = "held"
HALF_YEARLY = "half-yearly"


@dataclass(frozen=True, slots=True)
class Citation:
    """How a notice in `lang` cites a statute: the provision giving the interest, and the one
    giving the fixed compensation."""

    lang: str
    interest: str
    compensation: str


@dataclass(frozen=True, slots=True)
class Statute:
    law: str
    citation: str
    series: str  # the reference rate's series id
    points: Decimal
    fixing: str  # HELD or HALF_YEARLY
    compound_yearly: bool
    compensation: str | None  # the fixed compensation's citation ("" uncited); None: none
    cited: tuple[Citation, ...] = ()  # short, one per language (the rules' notice_citation)

    def citation_in(self, lang: str) -> Citation | None:
        return next((c for c in self.cited if c.lang == lang), None)


@dataclass(frozen=True, slots=True)
class Contractual:
    annual_pct: Decimal | None
    fixed_fee: Money | None
    grace_days: int
    cap_pct: Decimal | None


@dataclass(frozen=True, slots=True)
class Converted:
    """A fixed sum set in another currency, converted at `rate` of `rate_date`."""

    fixed: Money
    currency: str
    rate: Decimal
    rate_date: date


@dataclass(frozen=True, slots=True)
class NotConverted:
    """A fixed sum set in another currency, left out for want of an exchange rate."""

    fixed: Money
    currency: str


@dataclass(frozen=True, slots=True)
class FeeInstead:
    """The contract's late fee stands in for the statute's fixed compensation."""

    contract_id: str
    fee: Money


Part = Statute | Contractual | Converted | NotConverted | FeeInstead

SERIES = {
    "BOE_BANK_RATE": {
        "en": "Bank of England base rate",
        "de": "Leitzins der Bank of England",
        "fr": "taux directeur de la Banque d'Angleterre",
    },
    "ECB_MRO": {
        "en": "ECB main refinancing rate",
        "de": "Hauptrefinanzierungssatz der EZB",
        "fr": "taux de refinancement principal de la BCE",
    },
    "DE_BASISZINSSATZ": {
        "en": "Basiszinssatz (s.247 BGB)",
        "de": "Basiszinssatz (§ 247 BGB)",
        "fr": "Basiszinssatz (taux de base allemand, § 247 BGB)",
    },
}

PHRASES = {
    "en": {
        "statute": "{law}{cited}: {series} + {points} points, {how}",
        HELD: "the reference rate in force on the 31 December or 30 June before interest "
        "started, held for the debt",
        HALF_YEARLY: "the reference rate of each half-year (1 January / 1 July)",
        "compound": "; each full year's interest is added to the principal",
        "simple": "; simple interest",
        "compensation": "; fixed compensation",
        "cited_compensation": "; fixed compensation: {citation}",
        "contract": "Contract: {terms}",
        "rate": "interest at {pct}% a year",
        "fee": "a late fee of {fee}",
        "and": " and ",
        "clause": "late-payment clause",
        "grace": ", from {days} days after the due date",
        "cap": "; interest capped at {pct}% of the principal",
        "converted": " ({fixed} at 1 {source} = {rate} {currency} ({day}))",
        "not_converted": " ({fixed}: no exchange rate to {currency}, not included)",
        "fee_instead": "; instead of the fixed compensation, the late fee of contract "
        "{contract}: {fee}",
    },
    "de": {
        "statute": "{law}{cited}: {series} + {points} Prozentpunkte, {how}",
        HELD: "maßgeblich ist der am 31. Dezember bzw. 30. Juni vor Beginn der Verzinsung "
        "geltende Referenzzinssatz, fest für die ganze Forderung",
        HALF_YEARLY: "jeweils der Referenzzinssatz des Halbjahres (1. Januar / 1. Juli)",
        "compound": "; die Zinsen jedes vollen Jahres werden der Hauptforderung zugeschlagen",
        "simple": "; ohne Zinseszins",
        "compensation": "; Verzugspauschale",
        "cited_compensation": "; Verzugspauschale: {citation}",
        "contract": "Vertrag: {terms}",
        "rate": "Zinsen von {pct} % p. a.",
        "fee": "eine Verzugsgebühr von {fee}",
        "and": " und ",
        "clause": "Verzugsklausel",
        "grace": ", ab {days} Tagen nach Fälligkeit",
        "cap": "; Zinsen höchstens {pct} % der Hauptforderung",
        "converted": " ({fixed} zum Kurs 1 {source} = {rate} {currency} vom {day})",
        "not_converted": " ({fixed}: kein Wechselkurs nach {currency}, nicht enthalten)",
        "fee_instead": "; anstelle der Verzugspauschale die Verzugsgebühr aus Vertrag "
        "{contract}: {fee}",
    },
    "fr": {
        "statute": "{law}{cited} : {series} + {points} points, {how}",
        HELD: "taux de référence en vigueur au 31 décembre ou au 30 juin précédant le point "
        "de départ des intérêts, fixe pour toute la créance",
        HALF_YEARLY: "taux de référence de chaque semestre (1er janvier / 1er juillet)",
        "compound": " ; les intérêts de chaque année entière sont capitalisés",
        "simple": " ; intérêts simples",
        "compensation": " ; indemnité forfaitaire pour frais de recouvrement",
        "cited_compensation": " ; indemnité forfaitaire : {citation}",
        "contract": "Contrat : {terms}",
        "rate": "intérêts au taux de {pct} % l'an",
        "fee": "une pénalité de retard de {fee}",
        "and": " et ",
        "clause": "clause de retard de paiement",
        "grace": ", à compter de {days} jours après l'échéance",
        "cap": " ; intérêts plafonnés à {pct} % du principal",
        "converted": " ({fixed} au taux de 1 {source} = {rate} {currency} du {day})",
        "not_converted": " ({fixed} : aucun taux de change vers {currency}, non inclus)",
        "fee_instead": " ; au lieu de l'indemnité forfaitaire, la pénalité de retard du contrat "
        "{contract} : {fee}",
    },
}


def words(parts: tuple[Part, ...], lang: str = "en") -> str:
    """The grounds in words, in `lang` (English when there are none in that language)."""
    lang = lang if lang in PHRASES else "en"
    return "".join(_part(p, PHRASES[lang], lang) for p in parts)


def cited(parts: tuple[Part, ...], lang: str = "en") -> str:
    """The grounds as a notice states them in `lang`: a statute by its short citation (the
    fixed compensation's too, unless a contract's fee stands in for it), everything else as
    `words` says it. A statute without a citation in `lang` is cited in English, and one
    without any short citation said in full."""
    lang = lang if lang in PHRASES else "en"
    w = PHRASES[lang]
    fee_instead = any(isinstance(p, FeeInstead) for p in parts)
    out = []
    for part in parts:
        short = None
        if isinstance(part, Statute):
            short = part.citation_in(lang) or part.citation_in("en")
        if short is None:
            out.append(_part(part, w, lang))
            continue
        out.append(short.interest)
        if part.compensation is not None and short.compensation and not fee_instead:
            out.append(w["cited_compensation"].format(citation=short.compensation))
    return "".join(out)


def _part(part: Part, w: dict[str, str], lang: str) -> str:
    if isinstance(part, Statute):
        out = w["statute"].format(
            law=part.law,
            cited=f" ({part.citation})" if part.citation else "",
            series=SERIES.get(part.series, {}).get(lang, part.series),
            points=_number(part.points, lang),
            how=w[part.fixing],
        )
        out += w["compound"] if part.compound_yearly else w["simple"]
        if part.compensation is not None:
            out += w["compensation"] + (f" {part.compensation}" if part.compensation else "")
        return out
    if isinstance(part, Contractual):
        terms = []
        if part.annual_pct is not None:
            terms.append(w["rate"].format(pct=_number(part.annual_pct, lang)))
        if part.fixed_fee:
            terms.append(w["fee"].format(fee=_money(part.fixed_fee, lang)))
        out = w["contract"].format(terms=w["and"].join(terms) or w["clause"])
        if part.grace_days:
            out += w["grace"].format(days=part.grace_days)
        if part.cap_pct is not None:
            out += w["cap"].format(pct=_number(part.cap_pct, lang))
        return out
    if isinstance(part, Converted):
        return w["converted"].format(
            fixed=_money(part.fixed, lang),
            source=part.fixed.currency,
            rate=_number(part.rate, lang),
            currency=part.currency,
            day=part.rate_date.isoformat(),
        )
    if isinstance(part, NotConverted):
        return w["not_converted"].format(fixed=_money(part.fixed, lang), currency=part.currency)
    if isinstance(part, FeeInstead):
        return w["fee_instead"].format(contract=part.contract_id, fee=_money(part.fee, lang))
    raise TypeError(f"not a part of a claim's grounds: {part!r}")


def _number(value: Decimal, lang: str) -> str:
    plain = format(value.normalize(), "f")
    return plain if lang == "en" else plain.replace(".", ",")


def _money(value: Money, lang: str) -> str:
    return str(value) if lang == "en" else format_money(value.amount, value.currency, lang)
