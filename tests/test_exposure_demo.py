"""Exposure of the demo ledger matches independent SQL sums, per client, to the cent."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection

from arrears.demo import build_demo

from .conftest import Cli

TODAY = date(2026, 11, 23)
CENT = Decimal("0.01")
pytestmark = pytest.mark.django_db

# Stored scales: money x 10^4, hours x 10^2; so hours x rate is x 10^6.


def cents(scaled: int, scale: int) -> Decimal:
    return (Decimal(int(scaled)).scaleb(-scale)).quantize(CENT, rounding=ROUND_HALF_UP)


def query(sql: str, params) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def sql_exposure(org, on: date) -> dict[tuple[str, str], dict]:
    """Every figure straight from the tables, written without the application's code."""
    out: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"overdue": Decimal(0), "current": Decimal(0)}
    )
    for client, currency, due, owed in query(
        """
        SELECT c.external_id, i.currency, i.due_date,
               i.total - COALESCE((SELECT SUM(a.amount) FROM ledger_allocation a
                                   WHERE a.invoice_id = i.id AND a.date <= %s), 0)
        FROM ledger_invoice i JOIN ledger_client c ON c.id = i.client_id
        WHERE i.organisation_id = %s AND i.issue_date <= %s
        """,
        [on, org.pk, on],
    ):
        if owed <= 0:
            continue
        due = due if isinstance(due, date) else date.fromisoformat(due)
        out[client, currency]["overdue" if due < on else "current"] += cents(owed, 4)
    start = on - timedelta(days=13)
    for client, currency, wip, recent, cost, received, limit in query(
        """
        SELECT c.external_id, c.currency,
          (SELECT COALESCE(SUM(t.hours * t.bill_rate), 0) FROM ledger_timeentry t
             LEFT JOIN ledger_invoice b ON b.id = t.invoice_id
           WHERE t.client_id = c.id AND t.date <= %s
             AND (t.invoice_id IS NULL OR b.issue_date > %s)),
          (SELECT COALESCE(SUM(t.hours * t.bill_rate), 0) FROM ledger_timeentry t
           WHERE t.client_id = c.id AND t.date >= %s AND t.date <= %s),
          (SELECT COALESCE(SUM(t.hours * t.cost_rate), 0) FROM ledger_timeentry t
           WHERE t.client_id = c.id AND t.date <= %s),
          (SELECT COALESCE(SUM(p.amount), 0) FROM ledger_payment p
           WHERE p.client_id = c.id AND p.currency = c.currency AND p.date <= %s),
          (SELECT SUM(k.credit_limit) FROM ledger_contract k
           WHERE k.client_id = c.id AND k.start_date <= %s
             AND (k.end_date IS NULL OR k.end_date >= %s))
        FROM ledger_client c WHERE c.organisation_id = %s
        """,
        [on, on, start, on, on, on, on, on, org.pk],
    ):
        row = out[client, currency]
        row["unbilled_wip"] = cents(wip, 6)
        # burn: the 14 days' value / 14, rounded once
        row["daily_burn"] = (Decimal(int(recent)).scaleb(-6) / 14).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        row["uncovered_cost"] = max(
            cents(int(cost) - int(received) * 100, 6), Decimal("0.00")
        )  # received is x10^4: bring it to x10^6
        row["credit_limit"] = None if limit is None else cents(limit, 4)
    for row in out.values():
        row.setdefault("unbilled_wip", Decimal(0))
        row.setdefault("daily_burn", Decimal(0))
        row.setdefault("uncovered_cost", Decimal(0))
        row.setdefault("credit_limit", None)
        exposure = row["overdue"] + row["current"] + row["unbilled_wip"]
        limit, burn = row["credit_limit"], row["daily_burn"]
        row["days_to_limit"] = (
            None
            if limit is None
            else 0
            if exposure >= limit
            else None
            if burn == 0
            else math.ceil((limit - exposure) / burn)
        )
    figures = ("overdue", "current", "unbilled_wip", "uncovered_cost", "daily_burn")
    return {k: v for k, v in out.items() if any(v[f] for f in figures)}


def test_exposure_of_the_demo_matches_independent_sql_sums(org):
    build_demo(org, seed=1, today=TODAY)
    cli = Cli(org)
    for on in (TODAY, TODAY - timedelta(days=45), date(2025, 6, 30)):
        rows = json.loads(cli("exposure", "--date", on.isoformat(), "--format", "json").stdout)
        clients = [r for r in rows if r["client_id"] is not None]
        assert all(list(r) == list(rows[0]) for r in clients)  # exactly the same keys
        assert list(rows[0]) == [
            "client_id",
            "currency",
            "overdue",
            "current",
            "unbilled_wip",
            "uncovered_cost",
            "daily_burn",
            "credit_limit",
            "days_to_limit",
        ]
        got = {
            (r["client_id"], r["currency"]): {
                k: (Decimal(v) if isinstance(v, str) else v)
                for k, v in r.items()
                if k not in ("client_id", "currency")
            }
            for r in clients
        }
        expected = sql_exposure(org, on)
        assert got == expected, on
        # the figures are real: some work unbilled, some clients burning, someone near a limit
        assert sum(r["unbilled_wip"] for r in got.values()) > 0
        assert any(r["days_to_limit"] not in (None, 0) for r in got.values())
        # one totals row per currency, summing the clients
        for t in (r for r in rows if r.get("total") == "currency"):
            for f in ("overdue", "current", "unbilled_wip", "uncovered_cost"):
                assert Decimal(t[f]) == sum(
                    (v[f] for (c, cur), v in expected.items() if cur == t["currency"]),
                    Decimal(0),
                )


def test_one_client_and_a_table(org):
    build_demo(org, seed=1, today=TODAY)
    cli = Cli(org)
    rows = json.loads(cli("exposure", "--client", "C006", "--format", "json").stdout)
    assert [r["client_id"] for r in rows] == ["C006", None]
    table = cli("exposure", "--date", TODAY.isoformat()).stdout
    assert "Exposure at 2026-11-23" in table and "C006" in table
    assert "no client 'C999'" in cli("exposure", "--client", "C999", ok=False).output


def test_totals_in_the_base_currency_use_the_stated_rates(org, tmp_path):
    build_demo(org, seed=1, today=TODAY)
    cli = Cli(org)
    rows = json.loads(cli("exposure", "--format", "json").stdout)
    assert [r["currency"] for r in rows if r.get("total")] == ["EUR", "GBP", "USD", "GBP"]
    # the demo's own rates, the last weekday before today: 1 EUR = 0.8547 GBP = 1.0855 USD
    assert rows[-1]["rates"] == [
        "at 1 EUR = 0.8547 GBP (2026-11-20)",
        "at 1 USD = 0.787379 GBP (2026-11-20)",  # 0.8547 / 1.0855, to 6 significant digits
    ]
    rates = tmp_path / "eurofxref.csv"  # the ECB's file for today replaces them
    rates.write_text("Date,USD,GBP,\n2026-11-23,1.0800,0.87000,\n")
    cli("fx", "import", str(rates))
    rows = json.loads(cli("exposure", "--format", "json").stdout)
    base = rows[-1]
    assert (base["client_id"], base["currency"], base["total"]) == (None, "GBP", "base")
    assert base["rates"] == [
        "at 1 EUR = 0.87 GBP (2026-11-23)",
        "at 1 USD = 0.805556 GBP (2026-11-23)",  # 0.87 / 1.08, to 6 significant digits
    ]
    stated = {"EUR": Decimal("0.87"), "GBP": Decimal(1), "USD": Decimal("0.805556")}
    for f in ("overdue", "current", "unbilled_wip", "uncovered_cost", "daily_burn"):
        expected = sum(
            (
                (Decimal(t[f]) * stated[t["currency"]]).quantize(CENT, rounding=ROUND_HALF_UP)
                for t in rows
                if t.get("total") == "currency"
            ),
            Decimal(0),
        )
        assert Decimal(base[f]) == expected, f
    assert "Base-currency total at 1 EUR = 0.87 GBP (2026-11-23)" in cli("exposure").stdout
