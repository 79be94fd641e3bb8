"""Delivery workers on SQLite take turns to write, queued by the kernel (dunning.turns)."""

from __future__ import annotations

import multiprocessing
import time

from arrears.dunning.turns import lock_path, turn, writer_turn


def _hold(path: str, log: str, ready) -> None:
    with turn(path):
        with open(log, "a") as f:
            f.write("child in\n")
        ready.set()
        time.sleep(0.3)
        with open(log, "a") as f:
            f.write("child out\n")


def test_a_process_waits_for_the_turn_another_holds(tmp_path):
    path, log = str(tmp_path / "db-writers.lock"), tmp_path / "log"
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    child = ctx.Process(target=_hold, args=(path, str(log), ready))
    child.start()
    assert ready.wait(10)
    with turn(path):
        with open(log, "a") as f:
            f.write("parent in\n")
    child.join(10)
    assert log.read_text().splitlines() == ["child in", "child out", "parent in"]


def test_no_turns_for_a_database_in_memory(db):
    assert lock_path() is None  # the test database is in memory (or PostgreSQL)
    with writer_turn():
        pass
