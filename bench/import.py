"""How fast `arrears import invoices` is, next to plain sqlite3 doing the least it can.

    python bench/import.py --rows 1000000

Makes a fresh SQLite ledger (1,000 clients with a contract each) and a CSV of N invoices,
then measures, in this one run on this one machine:

  baseline   plain `sqlite3` `executemany` of the same rows, already built as tuples in
             memory, into an equivalent table (the invoice table's own CREATE TABLE and
             CREATE INDEX statements, same PRAGMAs), committed once;
  baseline+  the same, plus reading the CSV with the csv module;
  arrears    `import_file(... "invoices" ...)`: read the CSV, check every cell, look up
             clients and contracts, check duplicates against the file and the database,
             insert, commit.

Target (issue 3): arrears' rate at least 1/3 of the baseline's. Each part runs in its own
process so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLIENTS = 1000


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_files(home: Path, rows: int) -> Path:
    rng = random.Random(42)
    clients = home / "clients.csv"
    with open(clients, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["client_id", "name", "country", "timezone", "currency"])
        for n in range(CLIENTS):
            w.writerow([f"C{n:05d}", f"Client {n}", "GB", "Europe/London", "GBP"])
    contracts = home / "contracts.csv"
    with open(contracts, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["contract_id", "client_id", "engagement", "payment_terms_days", "start_date"])
        for n in range(CLIENTS):
            w.writerow([f"K{n:05d}", f"C{n:05d}", "tm", "30", "2020-01-01"])
    invoices = home / "invoices.csv"
    start = date(2022, 1, 1)
    with open(invoices, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "invoice_number",
                "client_id",
                "contract_id",
                "issue_date",
                "due_date",
                "currency",
                "amount",
                "po_number",
                "approver_email",
                "description",
            ]
        )
        for n in range(rows):
            c = rng.randrange(CLIENTS)
            issue = start + timedelta(days=rng.randrange(1400))
            amount = Decimal(rng.randrange(10_000, 5_000_000)).scaleb(-2)
            w.writerow(
                [
                    f"INV-{n:08d}",
                    f"C{c:05d}",
                    f"K{c:05d}",
                    issue.isoformat(),
                    (issue + timedelta(days=30)).isoformat(),
                    "GBP",
                    str(amount),
                    f"PO-{n % 9973}" if n % 3 else "",
                    "",
                    "Engineering services",
                ]
            )
    return invoices


def setup_ledger(home: Path) -> None:
    env = {**os.environ, "ARREARS_HOME": str(home), "ARREARS_DATABASE_URL": ""}
    pw = home / "pw"
    pw.write_text("bench-password-123\n")
    arrears = [sys.executable, "-m", "arrears"]
    run = lambda *a: subprocess.run([*arrears, *a], env=env, check=True, capture_output=True)  # noqa: E731
    run(
        "init",
        "--no-input",
        "--org",
        "Bench",
        "--country",
        "GB",
        "--email",
        "b@bench.example",
        "--password-file",
        str(pw),
    )
    run("import", "clients", str(home / "clients.csv"))
    run("import", "contracts", str(home / "contracts.csv"))


# -- the parts, each run in a child process ---------------------------------------------------
def part_arrears(home: Path, invoices: Path) -> dict:
    os.environ["ARREARS_HOME"] = str(home)
    os.environ.pop("ARREARS_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "arrears.settings"
    import django

    django.setup()
    from arrears.ledger.importing import import_file
    from arrears.ledger.models import Invoice, Organisation

    org = Organisation.objects.get()
    t = time.perf_counter()
    result = import_file(org, "invoices", invoices)
    elapsed = time.perf_counter() - t
    assert not result.problems, result.problems[:3]
    assert Invoice.objects.count() == result.counts.created
    return {"seconds": elapsed, "rows": result.counts.created, "peak_mb": peak_mb()}


def _equivalent_table(ledger_db: Path, target: Path) -> sqlite3.Connection:
    src = sqlite3.connect(ledger_db)
    ddl = [
        sql
        for (sql,) in src.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'ledger_invoice' AND sql IS NOT NULL "
            "ORDER BY type DESC"  # the table before its indexes
        )
    ]
    src.close()
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for sql in ddl:
        # the foreign keys point at tables that are not here; they are not enforced by default
        db.execute(sql)
    return db


def _rows_from_csv(invoices: Path) -> list[tuple]:
    now = "2026-01-01 00:00:00"
    out = []
    with open(invoices, newline="") as fh:
        r = csv.reader(fh)
        next(r)
        for num, client, _contract, issue, due, cur, amount, po, approver, desc in r:
            c = int(client[1:]) + 1
            out.append(
                (
                    1,
                    c,
                    c,
                    num,
                    issue,
                    due,
                    cur,
                    int(Decimal(amount).scaleb(4)),
                    0,
                    0,
                    0,
                    "open",
                    po,
                    approver,
                    desc,
                    now,
                )
            )
    return out


INSERT = (
    'INSERT INTO ledger_invoice ("organisation_id", "client_id", "contract_id", "number", '
    '"issue_date", "due_date", "currency", "total", "paid", "credited", "written_off", "status", '
    '"po_number", "approver_email", "description", "created_at") '
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def part_baseline(home: Path, invoices: Path, with_csv: bool) -> dict:
    db = _equivalent_table(home / "arrears.sqlite3", home / f"baseline-{with_csv}.sqlite3")
    if with_csv:
        t = time.perf_counter()
        rows = _rows_from_csv(invoices)
    else:
        rows = _rows_from_csv(invoices)
        t = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(INSERT, rows)
    db.execute("COMMIT")
    elapsed = time.perf_counter() - t
    (n,) = db.execute("SELECT count(*) FROM ledger_invoice").fetchone()
    return {"seconds": elapsed, "rows": n, "peak_mb": peak_mb()}


def child(part: str, home: str, invoices: str) -> None:
    h, i = Path(home), Path(invoices)
    if part == "arrears":
        result = part_arrears(h, i)
    else:
        result = part_baseline(h, i, with_csv=part == "baseline+csv")
    print(json.dumps(result))


def run_child(part: str, home: Path, invoices: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", part, str(home), str(invoices)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="arrears-bench-") as tmp:
        home = Path(tmp)
        t = time.perf_counter()
        invoices = make_files(home, args.rows)
        setup_ledger(home)
        print(
            f"{args.rows:,} invoices, {invoices.stat().st_size / 1e6:.0f} MB of CSV "
            f"(made in {time.perf_counter() - t:.1f}s)"
        )
        base = run_child("baseline", home, invoices)
        base_csv = run_child("baseline+csv", home, invoices)
        ours = run_child("arrears", home, invoices)
    rate = lambda r: r["rows"] / r["seconds"]  # noqa: E731
    print(f"{'':12} {'rows/s':>10} {'seconds':>8} {'peak MB':>8}")
    for name, r in (("baseline", base), ("baseline+", base_csv), ("arrears", ours)):
        print(f"{name:12} {rate(r):>10,.0f} {r['seconds']:>8.2f} {r['peak_mb']:>8.0f}")
    ratio = rate(ours) / rate(base)
    print(
        f"arrears / baseline  = {ratio:.2f}  "
        f"(target >= 0.33: {'met' if ratio >= 1 / 3 else 'NOT met'})"
    )
    print(f"arrears / baseline+ = {rate(ours) / rate(base_csv):.2f}")


if __name__ == "__main__":
    main()
