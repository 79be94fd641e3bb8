"""Taking turns to write on SQLite, without SQLite's sleeps.

SQLite lets one connection write at a time; a connection that finds the database locked sleeps
1, 2, 5, 10… milliseconds before it looks again. Delivery workers each commit a few hundred
short transactions a second (claim a batch, hold its steps, mark each message sent), so they
collide often, and each collision costs a millisecond or more of sleep for a lock held a
fraction of that.

`writer_turn()` makes the workers queue in the kernel instead: an exclusive `flock` on a file
beside the database, taken around each of those transactions; the kernel wakes the next worker
the moment the lock is let go. Other writers (the web UI, an import) do not take it and are not
affected: SQLite's own locking still decides between them and a worker. On PostgreSQL, and for
a database in memory, it does nothing (row locks and `SKIP LOCKED` keep workers apart there).
Not reentrant: never nest two turns.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections

_files: dict[str, int] = {}  # lock file path -> open descriptor, one per process


def in_memory(db=None) -> bool:
    """Whether the database is SQLite in memory: nothing another process could share."""
    db = db or connections[DEFAULT_DB_ALIAS]
    name = str(db.settings_dict["NAME"])
    return db.vendor == "sqlite" and (name == "" or "memory" in name)


def lock_path() -> str | None:
    """The turn file of the default database; None where turns are not needed."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: this runs a few times per message
    if db.vendor != "sqlite" or in_memory(db):
        return None
    return f"{db.settings_dict['NAME']}-writers.lock"


@contextmanager
def turn(path: str):
    """Hold the exclusive turn of `path` for the block (waits for it). One descriptor per
    process and path: threads of one process share it, so they do not exclude each other."""
    fd = _files.get(path)
    if fd is None:
        fd = _files[path] = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def writer_turn():
    """Wait for this process's turn to write to the default database, then hold it."""
    path = lock_path()
    if path is None:
        yield
        return
    with turn(path):
        yield
