"""Statutory late-payment rules and reference-rate history, as plain values.

The data are files in the package (`arrears/data/late_payment_rules.yaml`, researched with a
source and a verification mark per fact, and `arrears/data/reference_rates.csv`); this module
reads them and answers two questions: which rule applies to a country, and which reference
rate was in force on a day. A rate set after the last row of the CSV is added as data
(`arrears rates import`), never as code.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources

from arrears.core.basis import HALF_YEARLY, HELD, Citation, Statute, words
from arrears.core.parsing import Invalid, parse_date, parse_decimal
from arrears.core.problems import Problem, Problems

# HELD: one rate for the whole debt (UK); HALF_YEARLY: each half-year at its own reference rate
# (EU and the others); defined in core.basis, which says them in words

# Member states without a rule of their own in the data fall back to the Directive's minimum.
EU_MEMBERS = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)
SUPPORTED = ("GB", "EU", "DE", "FR", "NL", "IE", "ES", "IT")

CSV_COLUMNS = ("series", "effective_from", "rate_pct", "source", "verification")
VERIFICATIONS = ("verified", "secondary", "unverified")


@dataclass(frozen=True, slots=True)
class Tier:
    """Compensation `amount` for a debt above `low` (or from it, when `low_inclusive`) and up
    to `high` (or below it, unless `high_inclusive`); None is open-ended."""

    low: Decimal | None
    low_inclusive: bool
    high: Decimal | None
    high_inclusive: bool
    amount: Decimal

    def covers(self, debt: Decimal) -> bool:
        if self.low is not None and (
            debt < self.low or (debt == self.low and not self.low_inclusive)
        ):
            return False
        if self.high is not None and (
            debt > self.high or (debt == self.high and not self.high_inclusive)
        ):
            return False
        return True


@dataclass(frozen=True, slots=True)
class Compensation:
    currency: str
    tiers: tuple[Tier, ...]
    citation: str

    def for_debt(self, debt: Decimal) -> Decimal:
        for tier in self.tiers:
            if tier.covers(debt):
                return tier.amount
        return Decimal(0)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    law: str
    series: str
    points: Decimal
    fixing: str  # HELD or HALF_YEARLY
    compound_yearly: bool
    citation: str
    compensation: Compensation | None
    cited: tuple[Citation, ...] = ()  # how a notice cites it, per language

    def grounds(self) -> Statute:
        """The legal basis as data (core.basis says it in words, in the client's language)."""
        return Statute(
            self.law,
            self.citation,
            self.series,
            self.points,
            self.fixing,
            self.compound_yearly,
            None if self.compensation is None else self.compensation.citation,
            self.cited,
        )

    def basis(self) -> str:
        """The legal basis in English words, for the claim and the CLI."""
        return words((self.grounds(),))


@dataclass(frozen=True, slots=True)
class ReferenceRate:
    series: str
    effective_from: date
    rate_pct: Decimal
    source: str
    verification: str = ""


@dataclass(frozen=True)
class RateHistory:
    """Reference rates by series, each sorted by the day it took effect."""

    by_series: dict[str, tuple[ReferenceRate, ...]]

    @classmethod
    def of(cls, rows: Iterable[ReferenceRate]) -> RateHistory:
        merged: dict[str, dict[date, ReferenceRate]] = {}
        for row in rows:  # a later row for the same series and day replaces the earlier one
            merged.setdefault(row.series, {})[row.effective_from] = row
        return cls(
            {
                s: tuple(sorted(days.values(), key=lambda r: r.effective_from))
                for s, days in merged.items()
            }
        )

    def in_force(self, series: str, on: date) -> ReferenceRate:
        rows = self.by_series.get(series, ())
        at = bisect.bisect_right([r.effective_from for r in rows], on)
        if not at:
            raise LookupError(f"no {series} reference rate in force on {on.isoformat()}")
        return rows[at - 1]


def _money(value) -> Decimal:
    return Decimal(str(value))  # YAML gives ints; str() keeps them exact


def _compensation(raw: dict | None) -> Compensation | None:
    if not raw:
        return None
    citation = str(raw.get("citation", "")).strip()
    for key, currency in (("tiers_gbp", "GBP"), ("tiers_eur", "EUR")):
        if key in raw:
            tiers = []
            for t in raw[key]:
                if "below" in t or "from" in t:  # GB: from <= debt < below
                    low, low_inc = t.get("from"), True
                    high, high_inc = t.get("below"), False
                else:  # IE: over < debt <= max
                    low, low_inc = t.get("over"), False
                    high, high_inc = t.get("max"), True
                tiers.append(
                    Tier(
                        None if low is None else _money(low),
                        low_inc,
                        None if high is None else _money(high),
                        high_inc,
                        _money(t["amount"]),
                    )
                )
            return Compensation(currency, tuple(tiers), citation)
    for key in ("amount_eur", "minimum_eur"):
        if key in raw:
            return Compensation("EUR", (Tier(None, True, None, True, _money(raw[key])),), citation)
    return None


_POINTS = re.compile(r"\+\s*([0-9]+(?:\.[0-9]+)?)")


def parse_rules(text: str) -> dict[str, Rule]:
    """The jurisdictions whose statute gives a business creditor interest at a reference rate
    plus points (those whose interest block names a `series`)."""
    import yaml  # here: most commands never read the rules

    data = yaml.safe_load(text)
    rules = {}
    for j in data["jurisdictions"]:
        interest = j.get("interest")
        if not isinstance(interest, dict) or "series" not in interest:
            continue
        formula = interest.get("b2b_formula") or interest["formula"]
        found = _POINTS.search(formula)
        if not found:
            raise ValueError(f"{j['id']}: cannot read the points in {formula!r}")
        if interest["fixing"] not in (HELD, HALF_YEARLY):
            raise ValueError(f"{j['id']}: unknown fixing {interest['fixing']!r}")
        rules[j["id"]] = Rule(
            id=j["id"],
            name=j["name"],
            law=j["law"],
            series=interest["series"],
            points=Decimal(found.group(1)),
            fixing=interest["fixing"],
            compound_yearly=bool(interest.get("compound_yearly", False)),
            citation=str(interest.get("citation", "")).strip(),
            compensation=_compensation(j.get("fixed_compensation")),
            cited=_cited(j["id"], j.get("notice_citation") or {}),
        )
    return rules


def _cited(rule_id: str, raw: dict) -> tuple[Citation, ...]:
    """`notice_citation: {de: {interest: …, compensation: …}, …}` of a jurisdiction."""
    out = []
    for lang, given in raw.items():
        if not isinstance(given, dict) or not str(given.get("interest", "")).strip():
            raise ValueError(f"{rule_id}: notice_citation {lang} needs an interest citation")
        out.append(
            Citation(lang, given["interest"].strip(), str(given.get("compensation", "")).strip())
        )
    return tuple(out)


@cache
def rules() -> dict[str, Rule]:
    text = resources.files("arrears.data").joinpath("late_payment_rules.yaml").read_text()
    return parse_rules(text)


def rule_for(country: str) -> Rule | None:
    """The statutory rule for a country code (a subdivision like GB-SCT counts as its
    country); EU members without their own rule get the Directive's; elsewhere None."""
    code = (country or "").split("-", 1)[0].upper()
    if code == "UK":
        code = "GB"
    known = rules()
    if code in known:
        return known[code]
    if code in EU_MEMBERS:
        return known.get("EU")
    return None


def parse_reference_rates(
    text: str, source: str, known_series: frozenset[str] | None = None
) -> list[ReferenceRate]:
    """Rows of a reference-rate CSV (the columns of reference_rates.csv); every problem is
    collected and raised together as `Problems` (FILE:ROW:COLUMN: reason)."""
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header[: len(CSV_COLUMNS)] != CSV_COLUMNS or len(header) != len(CSV_COLUMNS):
        raise Problems([Problem(source, 1, None, f"the header must be {','.join(CSV_COLUMNS)}")])
    rows, problems = [], []
    seen: dict[tuple[str, date], int] = {}
    for number, raw in enumerate(reader, start=2):
        bad = len(problems)

        def problem(column: str | None, message: str, number=number) -> None:
            problems.append(Problem(source, number, column, message))

        if None in raw or any(v is None for v in raw.values()):
            problem(None, "the row does not have 5 columns")
            continue
        series = raw["series"].strip()
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,39}", series):
            problem("series", f"{series!r} is not a series name (capitals, digits, _)")
        elif known_series is not None and series not in known_series:
            problem(
                "series", f"unknown series {series!r} (known: {', '.join(sorted(known_series))})"
            )
        try:
            day = parse_date(raw["effective_from"].strip())
        except Invalid as exc:
            problem("effective_from", str(exc))
            day = None
        try:
            pct = parse_decimal(raw["rate_pct"].strip(), places=4, what="percentage")
            if not Decimal(-100) < pct < Decimal(100):
                problem("rate_pct", f"{pct} is not a plausible annual percentage")
        except Invalid as exc:
            problem("rate_pct", str(exc))
            pct = None
        if not raw["source"].strip():
            problem("source", "say where the rate comes from")
        verification = raw["verification"].strip()
        if verification not in VERIFICATIONS:
            problem("verification", f"{verification!r} is not one of {', '.join(VERIFICATIONS)}")
        if day is not None and series:
            if (series, day) in seen:
                problem("effective_from", f"{series} {day} is already on row {seen[series, day]}")
            seen[series, day] = number
        if len(problems) == bad:
            rows.append(ReferenceRate(series, day, pct, raw["source"].strip(), verification))
    if problems:
        raise Problems(problems)
    return rows


@cache
def packaged_rates() -> tuple[ReferenceRate, ...]:
    text = resources.files("arrears.data").joinpath("reference_rates.csv").read_text()
    return tuple(parse_reference_rates(text, "reference_rates.csv"))
