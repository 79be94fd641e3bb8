"""What every importable kind of record shares: columns, parsing with problems collected,
writing in chunks, exporting the same columns back out.

A kind parses a chunk of raw rows (lists of strings in the file's column order) into plain
records, reporting each problem as `FILE:ROW:COLUMN: reason`, and writes the records of a chunk
only while the whole file has no problem so far. The driver (`arrears.ledger.importing`) rolls
back everything when any row had a problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, ClassVar

from arrears.core.money import round_money
from arrears.core.parsing import Invalid, check_text
from arrears.core.problems import Problem
from arrears.ledger.guards import policy_names
from arrears.ledger.models import Client, Contract, Organisation


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Chunk:
    """Raw rows of one chunk: (row number as people count it, cells in `columns` order)."""

    columns: tuple[str, ...]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    def named(self) -> list[tuple[int, Callable[[str], str]]]:
        """The rows with a getter of a cell by column name."""
        columns = self.columns
        return [
            (line, dict(zip(columns, values, strict=True)).__getitem__)
            for line, values in self.rows
        ]


class Kind:
    name: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    required: ClassVar[frozenset[str]]  # columns a file must have; the others may be left out
    free_text: ClassVar[frozenset[str]] = frozenset()  # may hold tabs and line breaks

    def __init__(self, organisation: Organisation, source: str, *, update: bool):
        self.org = organisation
        self.source = source
        self.update = update
        self.problems: list[Problem] = []
        self.counts = Counts()
        self.notes: list[str] = []
        self.accept_warnings = False

    # -- reporting -----------------------------------------------------------------------------
    def problem(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(self.source, row, column, message))

    def value(
        self, line: int, get: Callable[[str], str], column: str, parse=None, *, required=True
    ):
        """The column's value parsed; None when empty and optional, or after recording why not."""
        raw = get(column).strip()
        if raw == "":
            if required:
                self.problem(line, column, "is required")
            return None
        if parse is None:
            return raw
        try:
            return parse(raw)
        except Invalid as exc:
            self.problem(line, column, str(exc))
            return None

    def screen(self, chunk: Chunk) -> None:
        """Drop the rows with a control character in a cell, each named as a problem: a value
        from a file never becomes header syntax (CR LF) or ends a string early (NUL). One scan
        of the whole chunk first; the rows are looked at one by one only when it finds one."""
        if " ".join(chain.from_iterable(v for _, v in chunk.rows)).isprintable():
            return  # the usual chunk: one C-speed scan (0.7 s per million invoice rows)
        columns, free = self.columns, self.free_text
        one_line = [i for i, c in enumerate(columns) if c not in free]
        multi = [i for i, c in enumerate(columns) if c in free]
        try:
            check_text(" ".join(v[i] for _, v in chunk.rows for i in one_line))
            check_text(" ".join(v[i] for _, v in chunk.rows for i in multi), free=True)
            return
        except Invalid:
            pass
        kept = []
        for line, values in chunk.rows:
            clean = True
            for column, raw in zip(columns, values, strict=True):
                try:
                    check_text(raw, free=column in free)
                except Invalid as exc:
                    self.problem(line, column, str(exc))
                    clean = False
            if clean:
                kept.append((line, values))
        chunk.rows = kept

    # -- the work, per kind ----------------------------------------------------------------------
    def parse(self, chunk: Chunk) -> list[Any]:
        raise NotImplementedError

    def write(self, records: list[Any]) -> None:
        raise NotImplementedError

    def checked(self) -> None:
        """After the last chunk is parsed (on a dry run too): problems of the whole file."""
        for name, use in getattr(self, "_missing_policies", {}).items():
            self.problems[use.index] = Problem(
                self.source,
                None,
                None,
                f"policy {name!r} does not exist (used by {use.rows:,} "
                f"row{'s' if use.rows != 1 else ''}, first at row {use.first}); import it first "
                "with arrears import policies FILE",
            )

    def finish(self) -> None:
        """After the last chunk, before commit."""

    def export(self) -> Iterator[dict[str, str]]:
        raise NotImplementedError

    def policy(self, line: int, get) -> str:
        """The row's dunning policy ("" for the default). A policy the organisation does not
        have is one problem for the whole file, however many rows name it (checked())."""
        name = self.value(line, get, "policy", check_text, required=False)
        if not name or name == "default":
            return ""
        if not hasattr(self, "_policies"):
            self._policies = policy_names(self.org)  # dunning's, through ledger.guards
            self._missing_policies: dict[str, MissingPolicy] = {}
        if name in self._policies:
            return name
        use = self._missing_policies.get(name)
        if use is None:
            self._missing_policies[name] = MissingPolicy(len(self.problems), line)
            self.problem(None, "policy", f"policy {name!r} does not exist")  # see checked()
        else:
            use.rows += 1
        return ""

    # -- lookups shared by several kinds ----------------------------------------------------------
    def clients(self) -> dict[str, Client]:
        if not hasattr(self, "_clients"):
            self._clients = {c.external_id: c for c in Client.objects.for_org(self.org)}
        return self._clients

    def contracts(self) -> dict[str, Contract]:
        if not hasattr(self, "_contracts"):
            self._contracts = {
                c.external_id: c
                for c in Contract.objects.for_org(self.org).select_related("client")
            }
        return self._contracts

    def client(self, line: int, get, column: str = "client_id") -> Client | None:
        ext = self.value(line, get, column)
        if ext is None:
            return None
        found = self.clients().get(ext)
        if found is None:
            self.problem(line, column, f"unknown client {ext!r}")
        return found

    def contract_of(
        self, line: int, get, client: Client | None, *, required=False
    ) -> Contract | None:
        ext = self.value(line, get, "contract_id", required=required)
        if ext is None:
            return None
        found = self.contracts().get(ext)
        if found is None:
            self.problem(line, "contract_id", f"unknown contract {ext!r}")
        elif client is not None and found.client_id != client.pk:
            self.problem(
                line,
                "contract_id",
                f"contract {ext!r} belongs to client {found.client.external_id!r}",
            )
            return None
        return found


@dataclass
class MissingPolicy:
    index: int  # of its problem in the file's list
    first: int  # the first row that names it
    rows: int = 1


def text(value: Any) -> str:
    """A value as it appears in an exported file."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def money_text(value, currency: str) -> str:
    """Money as files carry it: plain, to the currency's minor unit (1234.50)."""
    return "" if value is None else str(round_money(value, currency))


def once(seen: dict[str, int], key: str, line: int) -> int | None:
    """The row that already used `key` in this file, or None (and remember this one)."""
    first = seen.get(key)
    if first is None:
        seen[key] = line
    return first


def chunked(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
