"""Exchange rates from the database, as the pure `core.fx.Rates` table."""

from __future__ import annotations

import calendar
import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path

from django.db import transaction
from django.db.models import Max

from arrears.core.fx import Rate, Rates
from arrears.core.parsing import Invalid, parse_date, parse_decimal
from arrears.core.problems import Problem, Problems

from .models import FxRate


def rates_for(org, on: date) -> Rates:
    """The organisation's rates in force on `on`: for each pair, the last one dated on or
    before that day (one row per pair, however long the imported history)."""
    latest = (
        FxRate.objects.for_org(org)
        .filter(on__lte=on)
        .values("base", "quote")
        .annotate(last=Max("on"))
    )
    rows = []
    for pair in latest:
        row = FxRate.objects.for_org(org).get(
            base=pair["base"], quote=pair["quote"], on=pair["last"]
        )
        rows.append(Rate(row.base, row.quote, row.on, row.rate, row.source))
    return Rates.of(rows)


# --- importing the ECB's euro foreign exchange reference rates -------------------------------

_MONTHS = {m: i for i, m in enumerate(calendar.month_name) if m}


def _ecb_date(text: str) -> date:
    """`2026-11-20` (eurofxref-hist.csv) or `20 November 2026` (the daily eurofxref.csv)."""
    text = text.strip()
    if "-" in text:
        return parse_date(text)
    parts = text.split()
    if len(parts) == 3 and parts[1] in _MONTHS and parts[0].isdigit() and parts[2].isdigit():
        try:
            return date(int(parts[2]), _MONTHS[parts[1]], int(parts[0]))
        except ValueError:
            pass
    raise Invalid(f"{text!r} is not a date (YYYY-MM-DD or '20 November 2026')")


def _read_text(path: Path) -> str:
    if path.suffix.lower() == ".zip":  # the ECB serves eurofxref-hist.zip: one CSV inside
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise ValueError("the zip file should hold exactly one .csv file")
            return archive.read(names[0]).decode("utf-8-sig")
    return path.read_text(encoding="utf-8-sig")


def parse_ecb(text: str, source: str) -> list[Rate]:
    """Rows of an ECB reference-rate file: `Date,USD,JPY,...`, rates per 1 EUR. `N/A` and
    empty cells (a currency not quoted that day) are skipped; anything else that is not a
    positive decimal is a problem. Raises Problems (FILE:ROW:COLUMN: reason)."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    while header and header[-1] == "":  # the ECB ends every line with a comma
        header.pop()
    problems: list[Problem] = []
    if not header or header[0] != "Date":
        raise Problems([Problem(source, 1, None, "the header must start with Date (ECB format)")])
    for column in header[1:]:
        # three capitals: the history file also has retired currencies (CYP, SIT, TRL)
        if not re.fullmatch(r"[A-Z]{3}", column):
            problems.append(Problem(source, 1, column, f"{column!r} is not a currency code"))
    if len(header) < 2:
        problems.append(Problem(source, 1, None, "no currency columns after Date"))
    if problems:
        raise Problems(problems)
    label = f"ECB euro reference rates ({Path(source).name})"
    rows: list[Rate] = []
    seen: dict[date, int] = {}
    for number, cells in enumerate(reader, start=2):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        while len(cells) > len(header) and cells[-1] == "":
            cells.pop()
        if len(cells) != len(header):
            problems.append(
                Problem(source, number, None, f"{len(cells)} cells, the header has {len(header)}")
            )
            continue
        try:
            day = _ecb_date(cells[0])
        except Invalid as exc:
            problems.append(Problem(source, number, "Date", str(exc)))
            continue
        if day in seen:
            problems.append(Problem(source, number, "Date", f"{day} is already on row {seen[day]}"))
            continue
        seen[day] = number
        for currency, cell in zip(header[1:], cells[1:], strict=True):
            if cell in ("", "N/A"):
                continue
            try:
                value = parse_decimal(cell, places=8, what="rate")
                if value <= 0:
                    raise Invalid(f"{cell!r}: a rate must be positive")
            except Invalid as exc:
                problems.append(Problem(source, number, currency, str(exc)))
                continue
            rows.append(Rate("EUR", currency, day, value, label))
    if problems:
        raise Problems(problems)
    return rows


def import_ecb(org, path: Path) -> int:
    """Loads an ECB file into the organisation's rates, all or nothing; a rate already there
    for the same pair and day is replaced. Returns the number of rates read."""
    try:
        text = _read_text(path)
    except (OSError, UnicodeDecodeError, ValueError, zipfile.BadZipFile) as exc:
        raise Problems([Problem(str(path), None, None, f"cannot read the file: {exc}")]) from None
    rows = parse_ecb(text, str(path))
    with transaction.atomic():
        for start in range(0, len(rows), 5000):
            FxRate.objects.bulk_create(
                [
                    FxRate(
                        organisation=org,
                        base=r.base,
                        quote=r.quote,
                        on=r.on,
                        rate=r.rate,
                        source=r.source,
                    )
                    for r in rows[start : start + 5000]
                ],
                update_conflicts=True,
                unique_fields=["organisation", "base", "quote", "on"],
                update_fields=["rate", "source"],
            )
    return len(rows)
