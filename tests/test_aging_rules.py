"""Aging buckets, as a table of cases (no database)."""

from datetime import date
from decimal import Decimal

import pytest

from arrears.core.aging import Receivable, age, bucket

ON = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (date(2026, 7, 15), "current"),
        (date(2026, 6, 30), "current"),  # due today is not late
        (date(2026, 6, 29), "1-30"),
        (date(2026, 5, 31), "1-30"),  # 30 days
        (date(2026, 5, 30), "31-60"),
        (date(2026, 5, 1), "31-60"),  # 60 days
        (date(2026, 4, 30), "61-90"),
        (date(2026, 4, 1), "61-90"),  # 90 days
        (date(2026, 3, 31), "90+"),
    ],
)
def test_buckets_by_days_past_due(due, expected):
    assert bucket(due, ON) == expected


def test_rows_per_client_and_currency_and_totals_per_currency():
    report = age(
        [
            Receivable("C1", "Acme", "GBP", date(2026, 7, 1), Decimal("100.00")),
            Receivable("C1", "Acme", "GBP", date(2026, 3, 1), Decimal("50.10")),
            Receivable("C1", "Acme", "EUR", date(2026, 6, 1), Decimal("20.00")),
            Receivable("C2", "Brite", "GBP", date(2026, 6, 20), Decimal("0.00")),  # settled
        ],
        ON,
    )
    rows = {(r.client_id, r.currency): r for r in report.rows}
    assert set(rows) == {("C1", "GBP"), ("C1", "EUR")}
    assert rows["C1", "GBP"].buckets["current"] == Decimal("100.00")
    assert rows["C1", "GBP"].buckets["90+"] == Decimal("50.10")
    assert rows["C1", "GBP"].total == Decimal("150.10")
    assert [(t.currency, t.total) for t in report.totals] == [
        ("EUR", Decimal("20.00")),
        ("GBP", Decimal("150.10")),
    ]
