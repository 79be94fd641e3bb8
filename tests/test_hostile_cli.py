"""No traceback ever reaches the user: every verb of `arrears` (walked from the command
itself, so a new verb is covered the day it is added) is run with hostile arguments, and an
error nobody foresaw is one line that says where its details were written."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from arrears.cli import main

from .conftest import write

HOSTILE = {
    "an unknown id": "NOPE-404",
    "a far date": "9999-12-31",
    "a huge amount": "99999999999999999999999.99",
    "a path that does not exist": "/nonexistent/arrears/nothing.csv",
    "an empty string": "",
    "CR/LF and markup": "Broken [/b] Ltd\r\nX-Injected: yes",
}
# Runs a web server until it is stopped (tests/test_serve.py runs it for real).
LONG_RUNNING = {("serve",)}
# What a real ledger row is called, and plausible values for the other options, for the runs
# that aim one hostile option at a verb that would otherwise stop at its first argument.
OWNER = "owner@northwind.example"
KNOWN = {
    "client_id": "C1",
    "invoice_number": "INV-1",
    "invoice": "INV-1",
    "plan_id": "P1",
    "amount": "10.00",
    "file": "clients.csv",
    # options
    "by": OWNER,
    "reason": "a hostile test",
    "count": "2",
    "first": "2099-01-01",
    "until": "2099-01-01",
    "source": "-",
}


CLIENTS = """
client_id,name,country,timezone,currency
C1,Broken [/b] Ltd,GB,Europe/London,GBP
"""
INVOICES = """
invoice_number,client_id,issue_date,due_date,amount
INV-1,C1,2026-01-05,2026-02-04,1200.00
"""


def verbs(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from verbs(command, (*path, name))


def known(p: click.Parameter, value: str) -> list[str]:
    """A plausible value for `p` (its first choice, a real row's id), else `value`."""
    if isinstance(p.type, click.Choice):
        v = str(p.type.choices[0])
    else:
        v = KNOWN.get(p.name, value)
    return [v] * (p.nargs if p.nargs > 0 else 1)


def runs(command: click.Command, value: str) -> Iterator[list[str]]:
    """Every argument hostile; then each option that takes a value hostile in turn, with real
    arguments and plausible required options (and --by) around it."""
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    options = [
        p
        for p in command.params
        if isinstance(p, click.Option) and not p.is_flag and not p.count and p.name != "help"
    ]
    yield [w for p in arguments for w in [value] * (p.nargs if p.nargs > 0 else 1)]
    for aimed in options:
        args = [w for p in arguments for w in known(p, value)]
        for p in options:
            if p is aimed:
                args += [p.opts[-1], *[value] * (p.nargs if p.nargs > 0 else 1)]
            elif p.required or p.name == "by":
                args += [p.opts[-1], *known(p, value)]
        yield args


@pytest.fixture
def ledger(db, org, tmp_path, monkeypatch):
    monkeypatch.setenv("ARREARS_HOME", str(tmp_path / "home"))  # where a crash log would go
    monkeypatch.setenv("EDITOR", "true")  # `policy edit` opens an editor: one that changes nothing
    monkeypatch.setenv("VISUAL", "true")
    monkeypatch.delenv("ARREARS_USER", raising=False)
    monkeypatch.chdir(tmp_path)  # files a verb writes land here
    runner = CliRunner()
    for kind, text in (("clients", CLIENTS), ("invoices", INVOICES)):
        path = str(write(tmp_path / f"{kind}.csv", text))
        assert runner.invoke(main, ["--org", org.slug, "import", kind, path]).exit_code == 0
    return runner


@pytest.mark.django_db(transaction=True)  # a statement that fails must not poison the next verb
@pytest.mark.parametrize("what", list(HOSTILE))
def test_every_verb_given_hostile_arguments_answers_without_a_traceback(ledger, org, what):
    value = HOSTILE[what]
    seen, unforeseen = [], []
    for path, command in verbs(main):
        if path in LONG_RUNNING:
            continue
        for args in runs(command, value):
            argv = ["--org", org.slug, *path, *args]
            result = ledger.invoke(main, argv, input="", catch_exceptions=True)
            shown = f"arrears {' '.join(map(repr, argv[2:]))}"
            seen.append(shown)
            assert "Traceback" not in result.output, f"{shown}:\n{result.output}"
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                f"{shown} raised {result.exception!r}:\n{result.output}"
            )
            if "failed unexpectedly" in result.output:
                unforeseen.append(f"{shown}: {result.output.strip()}")
    assert len(seen) > 100  # every verb, and its options
    # the safety net held; still, each of these deserves a clear message of its own
    assert unforeseen == []


def test_an_error_nobody_foresaw_is_one_line_and_its_details_go_to_a_private_log(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "arrears.sqlite3").write_bytes(b"this is not a database " * 100)
    env = {**os.environ, "ARREARS_HOME": str(home)}
    env.pop("ARREARS_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "arrears", "aging"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = home / "arrears.log"
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: arrears aging failed unexpectedly (DatabaseError: file is not a database); "
        f"details were written to {log}"
    )
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text()
    assert "Traceback" in text and "arrears aging" in text
