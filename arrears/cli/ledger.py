"""Verbs that fill and empty the ledger: import, export, pay, credit-note, write-off."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from .common import DATE, err, esc, fail, organisation, out

KIND_NAMES = (
    "clients",
    "contacts",
    "contracts",
    "invoices",
    "write-offs",
    "credit-notes",
    "payments",
    "time-entries",
)
BIG_FILE = 2_000_000  # bytes; above this the import shows a progress bar


@click.command("import")
@click.argument("kind", type=click.Choice(KIND_NAMES))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--update", is_flag=True, help="Update records whose id already exists (idempotent).")
@click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
@click.option(
    "--override",
    metavar="REASON",
    help="time-entries only: accept entries for a stopped or suspended client, saying why "
    "(recorded and alerted).",
)
@click.pass_context
def import_(ctx, kind, file, update, dry_run, override):
    """Import KIND records from FILE (.csv with a header row, or .json: a list of objects).

    All or nothing: if any row has a problem, every problem is listed as FILE:ROW:COLUMN:
    reason and nothing is written. Columns are listed in docs/import.md.
    """
    org = organisation(ctx)
    from arrears.ledger.importing import import_file

    if override is not None and (kind != "time-entries" or not override.strip()):
        fail("--override takes a reason and applies to time-entries only")
    open_binary = None
    if file.exists() and file.stat().st_size > BIG_FILE and sys.stderr.isatty():
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        progress = Progress(
            TextColumn(f"importing {file.name}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )

        def open_binary(path):
            progress.start()
            return progress.open(path, "rb")
    else:
        progress = None
    try:
        result = import_file(
            org,
            kind,
            file,
            update=update,
            dry_run=dry_run,
            source=str(file),
            open_binary=open_binary,
            override=(override or "").strip(),
        )
    finally:
        if progress is not None:
            progress.stop()
    if result.problems:
        for problem in result.problems:
            err.print(str(problem), markup=False)
        fail(f"{len(result.problems)} problem(s) in {file}; nothing was imported")
    c = result.counts
    if dry_run:
        out.print(
            f"[green]✓[/] {result.rows} {kind} rows checked, no problems (dry run: nothing written)"
        )
    else:
        out.print(
            f"[green]✓[/] {kind}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged"
        )


@click.command("export")
@click.argument("kind", type=click.Choice(KIND_NAMES))
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
@click.pass_context
def export(ctx, kind, fmt, output):
    """Export KIND records in the import format (they import back unchanged)."""
    org = organisation(ctx)
    from arrears.ledger.importing import export_kind

    if output is None:
        export_kind(org, kind, fmt, sys.stdout)
        return
    try:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            n = export_kind(org, kind, fmt, fh)
    except OSError as exc:
        fail(f"{output}: {exc.strerror or exc}")
    err.print(f"[green]✓[/] {n} {kind} rows written to {esc(str(output))}")


def _invoice(org, number):
    from arrears.ledger.models import Invoice

    found = Invoice.objects.for_org(org).filter(number=number).select_related("client").first()
    if found is None:
        fail(f"no invoice {number!r}")
    return found


@click.command("pay")
@click.argument("client_id")
@click.argument("amount")
@click.option("--date", "on", type=DATE, help="Date received (default: today).")
@click.option("--invoice", "number", help="The invoice the client paid (default: oldest first).")
@click.option("--currency", help="Default: the client's currency.")
@click.option("--reference", default="")
@click.option("--method", default="bank_transfer", show_default=True)
@click.option("--id", "payment_id", help="Payment id (default: generated).")
@click.pass_context
def pay(ctx, client_id, amount, on, number, currency, reference, method, payment_id):
    """Record a payment received from CLIENT_ID and allocate it."""
    org = organisation(ctx)
    import uuid

    from arrears.core.parsing import Invalid, parse_amount, parse_choice, parse_currency
    from arrears.ledger.models import Client, PaymentMethod
    from arrears.ledger.reports import org_today
    from arrears.ledger.settlement import SettlementError, record_payment

    client = Client.objects.for_org(org).filter(external_id=client_id).first()
    if client is None:
        fail(f"no client {client_id!r}")
    try:
        currency = parse_currency(currency) if currency else client.currency
        value = parse_amount(amount, currency)
        parse_choice(method, PaymentMethod.values)
    except Invalid as exc:
        fail(str(exc))
    invoice = _invoice(org, number) if number else None
    try:
        payment = record_payment(
            org,
            client,
            external_id=payment_id or f"PAY-{uuid.uuid4().hex[:10]}",
            on=on or org_today(org),
            amount=value,
            currency=currency,
            reference=reference,
            method=method,
            invoice=invoice,
        )
    except SettlementError as exc:
        fail(str(exc))
    _show_allocations(payment.allocations.select_related("invoice"), payment.unallocated, currency)


def _show_allocations(allocations, left, currency):
    table = Table("invoice", "allocated", "still owed", title="Allocated")
    for a in allocations:
        table.add_row(
            esc(a.invoice.number), f"{a.amount} {currency}", f"{a.invoice.outstanding} {currency}"
        )
    out.print(table)
    if left > 0:
        out.print(f"{left} {currency} left as the client's credit")


@click.command("credit-note")
@click.argument("invoice_number")
@click.argument("amount")
@click.option("--reason", required=True)
@click.option("--number", help="Credit note number (default: CN-<invoice>).")
@click.option("--date", "on", type=DATE)
@click.pass_context
def credit_note(ctx, invoice_number, amount, reason, number, on):
    """Issue a credit note against an invoice."""
    org = organisation(ctx)
    from arrears.core.parsing import Invalid, parse_amount
    from arrears.ledger.reports import org_today
    from arrears.ledger.settlement import issue_credit_note

    inv = _invoice(org, invoice_number)
    try:
        value = parse_amount(amount, inv.currency)
    except Invalid as exc:
        fail(str(exc))
    note = issue_credit_note(
        org,
        inv.client,
        number=number or f"CN-{inv.number}",
        on=on or org_today(org),
        amount=value,
        currency=inv.currency,
        reason=reason,
        invoice=inv,
    )
    _show_allocations(
        note.allocations.select_related("invoice"), note.amount - note.allocated, inv.currency
    )


@click.command("write-off")
@click.argument("invoice_number")
@click.option("--reason", required=True, help="Why (kept with the write-off).")
@click.option("--amount", help="Default: everything still owed.")
@click.option("--date", "on", type=DATE)
@click.pass_context
def write_off_cmd(ctx, invoice_number, reason, amount, on):
    """Write off what an invoice still owes (or part of it)."""
    org = organisation(ctx)
    from arrears.core.parsing import Invalid, parse_amount
    from arrears.ledger.reports import org_today
    from arrears.ledger.settlement import SettlementError, write_off

    inv = _invoice(org, invoice_number)
    try:
        value = parse_amount(amount, inv.currency) if amount else None
        a = write_off(inv, on=on or org_today(org), reason=reason, amount=value)
    except (Invalid, SettlementError) as exc:
        fail(str(exc))
    out.print(f"[green]✓[/] wrote off {a.amount} {inv.currency} of {esc(inv.number)}")


COMMANDS = [import_, export, pay, credit_note, write_off_cmd]
