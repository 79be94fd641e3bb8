"""The demo ledger: deterministic, exports and imports back to the same ledger, and its
aged receivables match sums computed independently in SQL."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from arrears.core.aging import BUCKETS
from arrears.demo import build_demo
from arrears.ledger.kinds import KINDS
from arrears.ledger.models import Client, Invoice, Payment

from .conftest import Cli, make_org

TODAY = date(2026, 11, 23)
pytestmark = pytest.mark.django_db


def export_all(cli, tmp_path, tag):
    files = {}
    for kind in KINDS:
        path = tmp_path / f"{tag}-{kind}.csv"
        cli("export", kind, "-o", str(path))
        files[kind] = path
    return files


def ledger_figures(org):
    by = defaultdict(Decimal)
    for inv in Invoice.objects.for_org(org):
        for f in ("total", "paid", "credited", "written_off", "outstanding"):
            by[inv.currency, f] += getattr(inv, f)
    for p in Payment.objects.for_org(org):
        by[p.currency, "received"] += p.amount
        by[p.currency, "credit"] += p.unallocated
    return dict(by)


def test_export_then_import_into_a_fresh_organisation_gives_the_same_ledger(org, tmp_path):
    build_demo(org, seed=7, today=TODAY)
    first = export_all(Cli(org), tmp_path, "a")
    fresh = make_org("Fresh Copy Ltd", "GB", "copy@fresh.example")
    copy = Cli(fresh)
    for kind, path in first.items():
        # the demo's overpayments are in the export as credit: booked again knowingly
        copy("import", kind, str(path), *(["--accept-warnings"] if kind == "payments" else []))
    second = export_all(copy, tmp_path, "b")
    for kind in KINDS:
        assert first[kind].read_text() == second[kind].read_text(), (
            f"{kind} differs after the round trip"
        )
    assert ledger_figures(fresh) == ledger_figures(org)

    def per_invoice(o):
        return {
            i.number: (i.total, i.paid, i.credited, i.written_off, i.status)
            for i in Invoice.objects.for_org(o)
        }

    assert per_invoice(fresh) == per_invoice(org)
    # the figures are real money, not zeros
    figures = ledger_figures(org)
    assert figures["GBP", "total"] > Decimal("100000") and figures["EUR", "paid"] > 0


def test_json_exports_round_trip_too(org, tmp_path):
    cli = Cli(org)
    build_demo(org, seed=3, today=TODAY)
    path = tmp_path / "contracts.json"
    cli("export", "contracts", "--format", "json", "-o", str(path))
    rows = json.loads(path.read_text())
    assert len(rows) == 40 and rows[0]["contract_id"] == "K001"
    cli("import", "contracts", str(path), "--update")


def test_the_demo_is_deterministic_for_a_seed(org, tmp_path):
    build_demo(org, seed=5, today=TODAY)
    twin = make_org("Twin Ltd", "GB", "twin@twin.example")
    build_demo(twin, seed=5, today=TODAY)
    a, b = export_all(Cli(org), tmp_path, "a"), export_all(Cli(twin), tmp_path, "b")
    assert all(a[k].read_text() == b[k].read_text() for k in KINDS)
    assert Client.objects.for_org(org).count() == 40
    countries = set(Client.objects.for_org(org).values_list("country", flat=True))
    assert {c.split("-")[0] for c in countries} >= {"GB", "US", "DE", "FR", "NL"}


def sql_aging(org, on: date):
    """Outstanding per client, currency and bucket at the end of `on`, straight from the
    tables: invoice totals less allocations dated on or before `on` (amounts are stored x10^4)."""
    rows = defaultdict(lambda: defaultdict(int))
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT c.external_id, i.currency, i.due_date,
                   i.total - COALESCE((SELECT SUM(a.amount) FROM ledger_allocation a
                                       WHERE a.invoice_id = i.id AND a.date <= %s), 0)
            FROM ledger_invoice i JOIN ledger_client c ON c.id = i.client_id
            WHERE i.organisation_id = %s AND i.issue_date <= %s
            """,
            [on, org.pk, on],
        )
        for client, currency, due, owed in cur.fetchall():
            if owed <= 0:
                continue
            due = due if isinstance(due, date) else date.fromisoformat(due)
            late = (on - due).days
            name = (
                "current"
                if late <= 0
                else "1-30"
                if late <= 30
                else "31-60"
                if late <= 60
                else "61-90"
                if late <= 90
                else "90+"
            )
            rows[client, currency][name] += int(owed)
    return {k: {b: Decimal(v[b]).scaleb(-4) for b in BUCKETS} for k, v in rows.items()}


def test_aging_on_the_demo_matches_an_independent_sql_sum(org):
    build_demo(org, seed=1, today=TODAY)
    cli = Cli(org)
    for on in (TODAY, TODAY - timedelta(days=45), date(2025, 6, 30)):
        report = json.loads(cli("aging", "--date", on.isoformat(), "--format", "json").stdout)
        got = {
            (r["client_id"], r["currency"]): {b: Decimal(r[b]) for b in BUCKETS}
            for r in report["rows"]
        }
        expected = sql_aging(org, on)
        assert got == expected
        overdue = sum(v for row in got.values() for b, v in row.items() if b != "current")
        assert overdue > 0  # the demo has clients who are late
        for total in report["totals"]:
            assert Decimal(total["total"]) == sum(
                (sum(v.values()) for (c, cur), v in expected.items() if cur == total["currency"]),
                Decimal(0),
            )
