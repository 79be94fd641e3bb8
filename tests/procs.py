"""Running `arrears` as real processes against a fresh database of the backend under test
(a SQLite file, or a new PostgreSQL database when the suite runs on PostgreSQL)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SUITE_URL = os.environ.get("ARREARS_DATABASE_URL", "")
ON_POSTGRES = SUITE_URL.startswith(("postgres://", "postgresql://"))


class Installation:
    def __init__(self, home: Path, url: str, env: dict):
        self.home, self.url, self.env = home, url, env

    def arrears(self, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "arrears", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            **kw,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"arrears {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "arrears", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def query(self, sql: str, params=()) -> list[tuple]:
        if self.url.startswith("sqlite"):
            with sqlite3.connect(urlsplit(self.url).path, timeout=30) as db:
                return db.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(self.url) as db:
            return db.execute(sql, params).fetchall()


@contextmanager
def installation(tmp_path: Path, email_url: str = "memory://"):
    """A freshly initialised arrears (organisation "Northwind", owner owner@northwind.example)."""
    home = tmp_path / "home"
    home.mkdir()
    if ON_POSTGRES:
        import psycopg

        name = f"arrears_proc_{uuid.uuid4().hex[:10]}"
        parts = urlsplit(SUITE_URL)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        url = urlunsplit(parts._replace(path=f"/{name}"))
    else:
        url = f"sqlite:///{home / 'arrears.sqlite3'}"
    env = {
        **os.environ,
        "ARREARS_HOME": str(home),
        "ARREARS_DATABASE_URL": url,
        "ARREARS_EMAIL_URL": email_url,
        "ARREARS_RETRY_BASE_SECONDS": "0",
    }
    (home / "pw").write_text("a long enough passphrase\n")
    inst = Installation(home, url, env)
    inst.arrears(
        "init",
        "--no-input",
        "--org",
        "Northwind",
        "--country",
        "GB",
        "--email",
        "owner@northwind.example",
        "--accounts-email",
        "accounts@northwind.example",
        "--password-file",
        str(home / "pw"),
    )
    try:
        yield inst
    finally:
        if ON_POSTGRES:
            with psycopg.connect(admin, autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_nudges(inst: Installation, n: int) -> None:
    """n clients with one invoice each, due Tuesday 5 May 2026: n nudge-1 emails on Friday 8 May."""
    tmp = inst.home
    (tmp / "c.csv").write_text(
        "client_id,name,country,timezone,currency\n"
        + "".join(f"C{i:04d},Client {i},GB,Europe/London,GBP\n" for i in range(n))
    )
    (tmp / "p.csv").write_text(
        "client_id,name,email,roles\n"
        + "".join(f"C{i:04d},AP {i},ap{i}@client{i}.example,billing\n" for i in range(n))
    )
    (tmp / "i.csv").write_text(
        "invoice_number,client_id,issue_date,due_date,amount\n"
        + "".join(f"INV-{i:04d},C{i:04d},2026-04-05,2026-05-05,{100 + i}.50\n" for i in range(n))
    )
    for kind, f in (("clients", "c.csv"), ("contacts", "p.csv"), ("invoices", "i.csv")):
        inst.arrears("import", kind, str(tmp / f))
