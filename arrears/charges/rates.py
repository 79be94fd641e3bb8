"""Reference-rate history: the packaged file plus the periods an organisation imported."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from arrears.core.latepayment import (
    RateHistory,
    packaged_rates,
    parse_reference_rates,
    rules,
)
from arrears.core.latepayment import (
    ReferenceRate as Row,
)
from arrears.core.problems import Problem, Problems

from .models import ReferenceRate


def known_series() -> frozenset[str]:
    """The series the rules read; a row for another is most likely a typo."""
    return frozenset(r.series for r in packaged_rates()) | {r.series for r in rules().values()}


def imported_rows(org) -> list[Row]:
    return [
        Row(r.series, r.effective_from, r.rate_pct, r.source, r.verification)
        for r in ReferenceRate.objects.for_org(org)
    ]


def history_for(org) -> RateHistory:
    """The packaged history, then the organisation's imports (which win on the same day)."""
    return RateHistory.of([*packaged_rates(), *imported_rows(org)])


def all_rows(org) -> list[tuple[Row, str]]:
    """Every period with where it comes from (`packaged` or `imported`), as `rates show`
    lists them; an imported row replaces a packaged one for the same series and day."""
    imported = {(r.series, r.effective_from): r for r in imported_rows(org)}
    packaged = packaged_rates()
    rows = [
        (imported[key], "imported") if key in imported else (r, "packaged")
        for r in packaged
        for key in [(r.series, r.effective_from)]
    ]
    keys = {(r.series, r.effective_from) for r in packaged}
    rows += [(r, "imported") for key, r in imported.items() if key not in keys]
    return sorted(rows, key=lambda pair: (pair[0].series, pair[0].effective_from))


def import_file(org, path: Path) -> int:
    """Adds the file's periods (the columns of reference_rates.csv); all or nothing. Returns
    how many rows were written. Raises Problems naming FILE:ROW:COLUMN."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise Problems([Problem(str(path), None, None, f"cannot read the file: {exc}")]) from None
    rows = parse_reference_rates(text, str(path), known_series=known_series())
    with transaction.atomic():
        for row in rows:
            ReferenceRate.objects.update_or_create(
                organisation=org,
                series=row.series,
                effective_from=row.effective_from,
                defaults={
                    "rate_pct": row.rate_pct,
                    "source": row.source,
                    "verification": row.verification,
                },
            )
    return len(rows)
