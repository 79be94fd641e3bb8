"""Verbs that fill and empty the ledger: import, export, pay, reverse-payment, credit-note,
write-off."""

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
POLICIES = "policies"  # not a ledger kind: the dunning policies, as a YAML stream
BIG_FILE = 2_000_000  # bytes; above this the import shows a progress bar


@click.command("import")
@click.argument("kind", type=click.Choice((*KIND_NAMES, POLICIES)))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--update", is_flag=True, help="Update records whose id already exists (idempotent).")
@click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
@click.option(
    "--override",
    metavar="REASON",
    help="time-entries only: accept entries for a stopped or suspended client, saying why "
    "(recorded and alerted).",
)
@click.option(
    "--accept-warnings",
    is_flag=True,
    help="payments: book what looks like a typo anyway (more than the client owes, an invoice "
    "already paid, the same payment twice, a date after today).",
)
@click.pass_context
def import_(ctx, kind, file, update, dry_run, override, accept_warnings):
    """Import KIND records from FILE (.csv with a header row, or .json: a list of objects).

    All or nothing: if any row has a problem, every problem is listed as FILE:ROW:COLUMN:
    reason and nothing is written. Columns are listed in docs/import.md. `arrears import
    policies FILE` reads the policies `arrears export policies` wrote (YAML).
    """
    org = organisation(ctx)
    from arrears.ledger.importing import import_file

    if kind == POLICIES:
        _import_policies(org, file, dry_run)
        return
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
            accept_warnings=accept_warnings,
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
    for note in result.notes:
        out.print(note, markup=False)


def _import_policies(org, file: Path, dry_run: bool) -> None:
    import getpass
    import os

    from django.db import transaction

    from arrears.core.policy import PolicyError
    from arrears.dunning.policy_store import import_policies

    try:
        stream = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
    who = os.environ.get("ARREARS_USER") or getpass.getuser()
    try:
        with transaction.atomic():
            saved, same = import_policies(org, stream, source=str(file), changed_by=who)
            if dry_run:
                transaction.set_rollback(True)
    except PolicyError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False)
        fail(f"{len(exc.problems)} problem(s) in {file}; nothing was imported")
    if dry_run:
        out.print(
            f"✓ {len(saved) + len(same)} policies checked, no problems (dry run)", markup=False
        )
        return
    out.print(
        f"✓ policies: {len(saved)} saved ({', '.join(saved) or 'none'}), {len(same)} unchanged",
        markup=False,
    )


@click.command("export")
@click.argument("kind", type=click.Choice((*KIND_NAMES, POLICIES)))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "yaml"]),
    help="csv (the default) or json; policies are yaml.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
@click.pass_context
def export(ctx, kind, fmt, output):
    """Export KIND records in the import format (they import back unchanged).

    `arrears export policies` writes the organisation's own dunning policies as YAML, for
    `arrears import policies FILE`: export them with the clients that follow them."""
    org = organisation(ctx)
    from arrears.ledger.importing import export_kind

    if kind == POLICIES:
        if fmt not in (None, "yaml"):
            fail("policies are exported as yaml")
        from arrears.dunning.policy_store import export_policies

        stream, n = export_policies(org)
        if output is None:
            sys.stdout.write(stream)
            return
        try:
            output.write_text(stream, encoding="utf-8")
        except OSError as exc:
            fail(f"{output}: {exc.strerror or exc}")
        err.print(f"✓ {n} policies written to {output}", markup=False)
        return
    if fmt == "yaml":
        fail("yaml is for policies; ledger records are csv or json")
    fmt = fmt or "csv"
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


def _ledger_day(org, on):
    """--date, or today; refused outside the dates a ledger holds."""
    from arrears.core.parsing import Invalid, check_ledger_date
    from arrears.ledger.reports import org_today

    try:
        return check_ledger_date(on) if on else org_today(org)
    except Invalid as exc:
        fail(f"--date {exc}")


@click.command("pay")
@click.argument("client_id")
@click.argument("amount")
@click.option("--date", "on", type=DATE, help="Date received (default: today).")
@click.option("--invoice", "number", help="The invoice the client paid (default: oldest first).")
@click.option("--currency", help="Default: the client's currency.")
@click.option("--reference", default="")
@click.option("--method", default="bank_transfer", show_default=True)
@click.option("--id", "payment_id", help="Payment id (default: generated).")
@click.option(
    "--allow-overpayment",
    is_flag=True,
    help="Book a payment of more than the client owes (the rest becomes its credit).",
)
@click.option(
    "--allow-duplicate",
    is_flag=True,
    help="Book a payment that looks like one already booked (same client, amount, date and "
    "reference) or that names an invoice already paid.",
)
@click.option(
    "--accept-warnings",
    is_flag=True,
    help="Book it whatever it looks like (also a date after today).",
)
@click.pass_context
def pay(
    ctx,
    client_id,
    amount,
    on,
    number,
    currency,
    reference,
    method,
    payment_id,
    allow_overpayment,
    allow_duplicate,
    accept_warnings,
):
    """Record a payment received from CLIENT_ID and allocate it.

    What looks like a typo is refused with the reason, until confirmed: more than the client
    owes (--allow-overpayment), an invoice already paid or the same client, amount, date and
    reference as a payment already booked (--allow-duplicate), a date after today
    (--accept-warnings, which confirms any of them)."""
    org = organisation(ctx)
    import uuid

    from arrears.core.parsing import Invalid, check_text, parse_amount, parse_choice, parse_currency
    from arrears.ledger.models import Client, PaymentMethod
    from arrears.ledger.payment_checks import Facts, Incoming, Named, Typo, warnings_for
    from arrears.ledger.reports import org_today
    from arrears.ledger.settlement import SettlementError, record_payment

    client = Client.objects.for_org(org).filter(external_id=client_id).first()
    if client is None:
        fail(f"no client {client_id!r}")
    try:
        currency = parse_currency(currency) if currency else client.currency
        value = parse_amount(amount, currency)
        parse_choice(method, PaymentMethod.values)
        check_text(reference)
        if payment_id is not None:
            check_text(payment_id)
    except Invalid as exc:
        fail(str(exc))
    day = _ledger_day(org, on)
    invoice = _invoice(org, number) if number else None
    payment_id = payment_id or f"PAY-{uuid.uuid4().hex[:10]}"
    incoming = Incoming(
        client=client,
        external_id=payment_id,
        on=day,
        amount=value,
        currency=currency,
        reference=reference,
        invoices=(Named(invoice),) if invoice is not None else (),
    )
    allowed = set(Typo) if accept_warnings else set()
    if allow_overpayment:
        allowed.add(Typo.OVERPAYMENT)
    if allow_duplicate:
        allowed |= {Typo.DUPLICATE, Typo.SETTLED_INVOICE}
    refused = [
        w
        for w in warnings_for([incoming], Facts.read(org, [incoming], org_today(org)))
        if w.typo not in allowed
    ]
    if refused:
        for w in refused:
            err.print(f"{w.message} ({w.typo.flag} to book it)", markup=False)
        fail(f"{len(refused)} warning(s); nothing was booked")
    try:
        payment = record_payment(
            org,
            client,
            external_id=payment_id,
            on=day,
            amount=value,
            currency=currency,
            reference=reference,
            method=method,
            invoice=invoice,
        )
    except SettlementError as exc:
        fail(str(exc))
    out.print(
        f"[green]✓[/] payment {esc(payment.external_id)}: {value} {currency} from {esc(client_id)}"
    )
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


@click.command("reverse-payment")
@click.argument("payment_id")
@click.option("--reason", required=True, help="Why (kept with the payment).")
@click.option("--date", "on", type=DATE, help="The day it was taken back (default: today).")
@click.pass_context
def reverse_payment_cmd(ctx, payment_id, reason, on):
    """Reverse a payment that did not stay: a cheque that bounced, a direct debit recalled,
    money booked to the wrong client.

    The invoices it paid owe that money again (reminders resume for them on the next run;
    the client's credit, if it has any, is spent on them). The payment stays in the ledger,
    reversed, with the day and the reason; it is nobody's credit. A payment is reversed once."""
    org = organisation(ctx)
    from arrears.core.money import round_money
    from arrears.core.parsing import Invalid, check_text
    from arrears.ledger.settlement import ReversalError, reverse_payment

    try:
        check_text(reason, free=True)
    except Invalid as exc:
        fail(f"--reason: {exc}")
    day = _ledger_day(org, on)
    try:
        done = reverse_payment(org, payment_id, on=day, reason=reason)
    except ReversalError as exc:
        fail({"date": f"--date {exc}", "reason": f"--reason: {exc}"}.get(exc.field, str(exc)))
    p = done.payment

    def money(value):
        return f"{round_money(value, p.currency)} {p.currency}"

    out.print(
        f"[green]✓[/] payment {esc(p.external_id)} reversed on {day.isoformat()}: "
        f"{money(p.amount)} taken back ({esc(p.reversal_reason)})"
    )
    if done.taken_back:
        table = Table("invoice", "taken back", "still owed", title="Owed again")
        for t in done.taken_back:
            table.add_row(esc(t.invoice.number), money(t.amount), money(t.invoice.outstanding))
        out.print(table)


@click.command("credit-note")
@click.argument("invoice_number")
@click.argument("amount")
@click.option("--reason", required=True)
@click.option(
    "--number",
    help="Credit note number (default: CN-<invoice>, then CN-<invoice>-2, -3... for the next).",
)
@click.option("--date", "on", type=DATE)
@click.pass_context
def credit_note(ctx, invoice_number, amount, reason, number, on):
    """Issue a credit note against an invoice."""
    org = organisation(ctx)
    from arrears.core.parsing import Invalid, check_text, parse_amount
    from arrears.ledger.settlement import SettlementError, issue_credit_note

    inv = _invoice(org, invoice_number)
    try:
        value = parse_amount(amount, inv.currency)
        check_text(reason, free=True)
        if number is not None:
            check_text(number)
    except Invalid as exc:
        fail(str(exc))
    day = _ledger_day(org, on)
    try:
        note = issue_credit_note(
            org,
            inv.client,
            number=number,
            on=day,
            amount=value,
            currency=inv.currency,
            reason=reason,
            invoice=inv,
        )
    except SettlementError as exc:
        fail(str(exc))
    out.print(
        f"[green]✓[/] credit note {esc(note.number)}: {value} {inv.currency} on {esc(inv.number)}"
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
    from arrears.core.parsing import Invalid, check_text, parse_amount
    from arrears.ledger.settlement import SettlementError, write_off

    inv = _invoice(org, invoice_number)
    day = _ledger_day(org, on)
    try:
        value = parse_amount(amount, inv.currency) if amount else None
        check_text(reason, free=True)
        a = write_off(inv, on=day, reason=reason, amount=value)
    except (Invalid, SettlementError) as exc:
        fail(str(exc))
    out.print(f"[green]✓[/] wrote off {a.amount} {inv.currency} of {esc(inv.number)}")


COMMANDS = [import_, export, pay, reverse_payment_cmd, credit_note, write_off_cmd]
