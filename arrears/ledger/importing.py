"""`arrears import` and `arrears export`: files in, files out, all or nothing.

Reading turns a CSV (UTF-8, header row) or a JSON list of objects into numbered rows of
strings; a kind (`arrears.ledger.kinds`) checks and writes them. Every problem of the whole
file is collected; if there is any, nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO

from django.db import DatabaseError, transaction

from arrears.core.problems import Problem
from arrears.ledger.kinds import KINDS
from arrears.ledger.kinds.base import Chunk, Counts, chunked
from arrears.ledger.models import Organisation

FORMATS = ("csv", "json")


@dataclass
class ImportResult:
    kind: str
    source: str
    rows: int = 0
    counts: Counts = field(default_factory=Counts)
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)  # what a person should know (credit made)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Table:
    """Rows of a file as (row number, cells in the kind's column order, error or None).
    A column the file leaves out reads as empty cells."""

    def __init__(self, source, header: list[str], columns, rows: Iterator[tuple[int, list[str]]]):
        self.source = source
        self.width = len(header)
        where = {name: i for i, name in enumerate(header)}
        self.order = [where.get(c, self.width) for c in columns]  # width: the empty cell
        self.same = header == list(columns)
        self._rows = rows

    def __iter__(self):
        width, order, same = self.width, self.order, self.same
        for line, values in self._rows:
            if len(values) != width:
                yield line, None, f"has {len(values)} cells where the header has {width}"
            elif same:
                yield line, values, None
            else:
                values.append("")
                yield line, [values[i] for i in order], None


def _csv_rows(fh: IO[str]) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        return [], iter(())

    def rows():
        start = reader.line_num + 1
        for values in reader:
            if values:  # a blank line is not a row
                yield start, values  # where it starts: a quoted cell may span lines
            start = reader.line_num + 1

    return [h.strip() for h in header], rows()


def _json_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (str, int, Decimal)):
        return str(value)
    raise ValueError(f"a {type(value).__name__} where a text or number belongs")


def _json_rows(fh: IO[str], source: str, problems: list[Problem]):
    try:
        data = json.load(fh, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        problems.append(Problem(source, exc.lineno, None, f"not valid JSON: {exc.msg}"))
        return [], iter(())
    if not isinstance(data, list):
        problems.append(Problem(source, None, None, "expected a JSON list of objects"))
        return [], iter(())
    header: list[str] = []
    for item in data:
        if isinstance(item, dict):
            header.extend(k for k in item if k not in header)

    def rows():
        for n, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                problems.append(Problem(source, n, None, "is not a JSON object"))
                continue
            values = []
            for key in header:
                try:
                    values.append(_json_text(item.get(key)))
                except ValueError as exc:
                    problems.append(Problem(source, n, key, str(exc)))
                    values.append("")
            yield n, values

    return header, rows()


def import_file(
    organisation: Organisation,
    kind_name: str,
    path: Path,
    *,
    update: bool = False,
    dry_run: bool = False,
    source: str | None = None,
    open_binary: Callable[[Path], IO[bytes]] | None = None,
    chunk_size: int = 10_000,
    override: str = "",
    accept_warnings: bool = False,
) -> ImportResult:
    """Check every row of `path`; write them all (in one transaction) only if none has a
    problem and this is not a dry run. `source` is the name used in messages. A warning (a
    payment that looks like a typo) is a problem unless `accept_warnings`."""
    source = source or str(path)
    result = ImportResult(kind_name, source, dry_run=dry_run)
    problems = result.problems
    if kind_name not in KINDS:
        problems.append(
            Problem(source, None, None, f"unknown kind {kind_name!r} (known: {', '.join(KINDS)})")
        )
        return result
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        problems.append(Problem(source, None, None, "the file name must end in .csv or .json"))
        return result
    try:
        raw = (open_binary or (lambda p: open(p, "rb")))(path)
    except OSError as exc:
        problems.append(Problem(source, None, None, f"cannot read the file: {exc.strerror}"))
        return result
    kind = KINDS[kind_name](organisation, source, update=update)
    kind.problems = problems
    kind.accept_warnings = accept_warnings
    if override:
        kind.override = override  # time entries: accepted for a stopped client, with a reason
    with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as fh:
        try:
            if suffix == "csv":
                header, rows = _csv_rows(fh)
            else:
                header, rows = _json_rows(fh, source, problems)
            if not _check_header(kind, header, source, problems, is_json=suffix == "json"):
                return result
            table = _Table(source, header, kind.columns, rows)
            try:
                with transaction.atomic():
                    _run(kind, table, result, chunk_size, dry_run)
                    if problems or dry_run:
                        transaction.set_rollback(True)
            except DatabaseError as exc:
                problems.append(
                    Problem(source, None, None, f"the database refused the rows: {exc}")
                )
        except UnicodeDecodeError as exc:
            problems.append(
                Problem(source, None, None, f"not UTF-8 text (byte {exc.start}): save it as UTF-8")
            )
        except csv.Error as exc:
            problems.append(Problem(source, None, None, f"not a readable CSV file: {exc}"))
    result.counts = kind.counts
    result.notes = kind.notes
    if problems:
        result.counts = Counts()
        result.notes = []
    return result


def _run(kind, table: _Table, result: ImportResult, chunk_size: int, dry_run: bool) -> None:
    problems = result.problems
    for batch in chunked(iter(table), chunk_size):
        chunk = Chunk(kind.columns)
        for line, values, error in batch:
            result.rows += 1
            if error:
                problems.append(Problem(table.source, line, None, error))
            else:
                chunk.rows.append((line, values))
        kind.screen(chunk)
        records = kind.parse(chunk)
        if not problems and not dry_run:
            kind.write(records)
    kind.checked()
    if not problems and not dry_run:
        kind.finish()


def _check_header(
    kind, header: list[str], source: str, problems: list[Problem], *, is_json: bool
) -> bool:
    if not header:
        problems.append(
            Problem(
                source,
                None,
                None,
                "is empty: expected a header row" if not is_json else "has no objects",
            )
        )
        return False
    known = set(kind.columns)
    row = None if is_json else 1
    for name in header:
        if name not in known:
            shown = name if name.isprintable() else repr(name)  # never a raw CR in the output
            problems.append(
                Problem(source, row, shown, f"unknown column (expected: {','.join(kind.columns)})")
            )
    for name in header:
        if header.count(name) > 1:
            problems.append(Problem(source, row, name, "appears twice in the header"))
            break
    present = set(header)
    for name in kind.columns:
        if name not in present and name in kind.required:
            problems.append(Problem(source, row, name, "missing column (it is required)"))
    return not problems


def export_kind(organisation: Organisation, kind_name: str, fmt: str, out: IO[str]) -> int:
    """Write every record of a kind in the import format; returns the number of rows."""
    kind = KINDS[kind_name](organisation, "", update=False)
    rows = kind.export()
    n = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(kind.columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            n += 1
        return n
    out.write("[")
    for row in rows:
        out.write(",\n  " if n else "\n  ")
        json.dump(row, out, ensure_ascii=False)
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n
