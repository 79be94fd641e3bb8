"""The README's tour works as written: every `arrears …` line of its code blocks runs, in
order, against a fresh demo (`arrears demo --seed 1`, as `make run` loads it), and exits 0.

The demo's invoice numbers and dates follow the day it is loaded, so the tour names the ids of
the demo of one day, which the README states (`arrears demo --seed 1 --today DAY`); the
commands run with the clock set to that day (libfaketime, the Debian package `faketime`), each
as a real process. They run in a folder holding the files the tour names: those it writes
itself with `arrears export`, and the few it says are the user's own (written here).
A line naming an invoice, a client or an approval key the demo lacks fails this test."""

from __future__ import annotations

import io
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from .procs import installation

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
START, END = "## A five-minute tour", "## What is where"

# the user's own files and programs the tour names (the rest it writes with `arrears export`)
USER_FILES = {
    "whsec.txt": "whsec_5e4f0c1d2b3a49687f6e5d4c3b2a1908\n",
    "key.txt": "-----BEGIN OPENSSH PRIVATE KEY-----\nZGVwbG95LWtleS1vZi10aGUtdG91cg==\n"
    "-----END OPENSSH PRIVATE KEY-----\n",
    "boe-2026-11.csv": "series,effective_from,rate_pct,source,verification\n"
    "BOE_BANK_RATE,2026-11-05,3.50,Bank of England Monetary Policy Summary,verified\n",
    "time.csv": "date,client_id,contract_id,person,hours,bill_rate,cost_rate,description\n"
    "2026-12-03,C007,K007,Ada Lovelace,2,150,90,Production incident P1-123\n",
}
PROGRAMS = ("standdown", "ci-secret")  # on the PATH: hooks check that their program exists


def tour_day() -> str:
    """The day whose demo the tour names, as the README states it."""
    found = re.search(r"arrears demo\s+--seed\s+1\s+--today\s+(\d{4}-\d{2}-\d{2})", README)
    assert found, "README.md must say which day's demo the tour names (--today YYYY-MM-DD)"
    return found.group(1)


def tour_commands() -> list[str]:
    """Every `arrears …` line of the tour's sh blocks (continued lines joined), in order."""
    tour = README[README.index(START) : README.index(END)]
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", tour, re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            if line.startswith("arrears "):
                lines.append(line)
    return lines


def test_the_tour_is_read_from_the_readme():
    commands = tour_commands()
    assert commands[0].startswith("arrears init") and len(commands) > 40
    assert any(c.startswith("arrears plan-offer C005 --instalments 6") for c in commands)
    assert all("\\" not in c for c in commands)  # continuation lines joined
    datetime.strptime(tour_day(), "%Y-%m-%d")


def _ecb_history_zip() -> bytes:
    """The ECB's euro reference rates history, as it ships: a zip of one CSV."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "eurofxref-hist.csv",
            "Date,USD,JPY,GBP,\n2026-12-02,1.0855,161.20,0.8547,\n2026-12-01,1.0841,160.95,0.8551,\n",
        )
    return buffer.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_every_command_of_the_readme_tour_runs_as_written_against_the_demo(tmp_path):
    # libfaketime preloaded into each process itself (the `faketime` wrapper forks, and a
    # server stopped through it would live on); the threads-safe build, for `arrears serve`
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"))
    assert found, "the tour test needs libfaketime: apt-get install faketime"
    # every process sees the tour's day, the clock running on from 09:30 (UTC)
    day = datetime.strptime(f"{tour_day()} 09:30:00", "%Y-%m-%d %H:%M:%S")
    offset = int(day.timestamp() - time.time())
    work = tmp_path / "work"
    bin_ = tmp_path / "bin"
    for folder in (work, bin_):
        folder.mkdir()
    for name, text in USER_FILES.items():
        (work / name).write_text(text)
    (work / "eurofxref-hist.zip").write_bytes(_ecb_history_zip())
    for name in PROGRAMS:
        (bin_ / name).write_text("#!/bin/sh\nexit 0\n")
        (bin_ / name).chmod(0o755)
    with installation(tmp_path, email_url=f"file://{tmp_path / 'mail'}") as inst:
        env = {
            **inst.env,
            "PATH": f"{bin_}{os.pathsep}{os.environ.get('PATH', '')}",
            "LD_PRELOAD": str(found[0]),
            "FAKETIME": f"{offset:+d}",  # seconds from now: every process on the same clock
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # timeouts and waits keep real time
        }
        prefix = [sys.executable, "-m", "arrears"]
        for line in tour_commands():
            args = shlex.split(line, comments=True)[1:]
            if args[0] == "serve":
                _serve(prefix, args, env, work)
                continue
            began = time.monotonic()
            result = subprocess.run(
                prefix + args,
                env=env,
                cwd=work,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=600,
            )
            print(f"{time.monotonic() - began:6.1f}s {line[:90]}")  # shown when it fails
            assert result.returncode == 0 and "Traceback" not in result.stderr, (
                f"README tour: `{line}` failed ({result.returncode}):\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )


def _serve(prefix, args, env, work) -> None:
    """`arrears serve` runs until stopped: it must answer /health, then stop on SIGTERM. It gets
    a free port (the README's default, 8000, may be taken on the machine running the tests)."""
    port = _free_port()
    proc = subprocess.Popen(
        prefix + args + ["--port", str(port)],
        env=env,
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None, f"arrears serve exited:\n{proc.communicate()[1]}"
                assert time.monotonic() < deadline, "arrears serve did not answer /health"
                time.sleep(0.3)
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
