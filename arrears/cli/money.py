"""Verbs about money law and currencies: interest, rates, fx."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import click
from rich import box
from rich.table import Table

from .common import DATE, err, esc, fail, organisation, out


def _amount(value: Decimal, currency: str) -> str:
    from arrears.core.money import round_money

    return str(round_money(value, currency))


def _pct(value: Decimal) -> str:
    """At least two decimals (`12.75`, `8.00`, `10.125`)."""
    return str(value.quantize(Decimal("0.01")) if value.as_tuple().exponent > -2 else value)


def claim_json(number: str, claim) -> dict:
    c = claim.currency
    return {
        "invoice_number": number,
        "principal": _amount(claim.principal, c),
        "currency": c,
        "periods": [
            {
                "from": p.start.isoformat(),
                "to": p.end.isoformat(),
                "days": p.days,
                "annual_rate_pct": _pct(p.annual_rate_pct),
                "interest": _amount(p.interest, c),
            }
            for p in claim.periods
        ],
        "interest_total": _amount(claim.interest_total, c),
        "compensation": _amount(claim.compensation, c),
        "total_claim": _amount(claim.total_claim, c),
        "basis": claim.basis,
    }


def _problems(problems, file) -> None:
    for problem in problems:
        err.print(str(problem), markup=False)
    fail(f"{len(problems)} problem(s) in {file}; nothing was imported")


@click.command()
@click.argument("invoice")
@click.option("--until", type=DATE, help="Interest up to and including this day (default: today).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.pass_context
def interest(ctx, invoice, until, fmt):
    """Late-payment interest and compensation on INVOICE, as a claim.

    The contract's clause (rate, fixed fee, grace days, cap) when it has one, else the
    statutory rule of the contract's governing law (else the client's country): GB, the EU
    default, DE, FR, NL, IE, ES, IT. Interest runs from the day after the due date up to and
    including --until; each period's interest is rounded to the cent and the total is their
    sum. See docs/interest.md.
    """
    org = organisation(ctx)
    from arrears.charges.claims import claim_for, is_fee_invoice
    from arrears.ledger.models import Invoice
    from arrears.ledger.reports import org_today

    found = Invoice.objects.for_org(org).filter(number=invoice).select_related("client").first()
    if found is None:
        fail(f"no invoice {invoice!r}")
    on = until or org_today(org)
    try:
        claim = claim_for(found, on)
    except LookupError as exc:  # a reference rate missing for a period of the claim
        fail(f"{exc}: add it with `arrears rates import FILE`")
    if claim is None and is_fee_invoice(found):
        fail(f"invoice {invoice} bills late-payment charges: no interest is claimed on it")
    if claim is None:
        fail(
            f"invoice {invoice}: the contract has no late-payment clause and no statutory rule is"
            f" known for {found.client.country} (known: GB, EU members)"
        )
    if fmt == "json":
        json.dump(claim_json(found.number, claim), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    c = claim.currency
    out.print(
        f"[bold]Invoice {esc(found.number)}[/] — {esc(found.client.name)}: "
        f"{_amount(claim.principal, c)} {c}"
        f" due {found.due_date.isoformat()}; claim as of {on.isoformat()}"
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("from", "to", "days", "rate %", "on principal", "interest"):
        table.add_column(name, justify="left" if name in ("from", "to") else "right")
    for p in claim.periods:
        pieces = "\n".join(f"{_amount(x.principal, c)} × {x.days} d" for x in p.pieces)
        table.add_row(
            p.start.isoformat(),
            p.end.isoformat(),
            str(p.days),
            _pct(p.annual_rate_pct),
            pieces,
            _amount(p.interest, c),
        )
    if claim.periods:
        out.print(table)
    else:
        out.print(f"No interest yet: it starts on {claim.start.isoformat()}.")
    paid = claim.principal - claim.outstanding
    lines = [
        ("interest", claim.interest_total),
        ("late fee" if claim.contractual else "compensation", claim.compensation),
    ]
    lines[:0] = [("principal", claim.principal)]
    if paid:
        lines[1:1] = [(f"paid by {on.isoformat()}", -paid), ("still owed", claim.outstanding)]
    for label, value in lines:
        out.print(f"{label:>22}  {_amount(value, c):>12} {c}")
    out.print(f"[bold]{'total claim':>22}  {_amount(claim.total_claim, c):>12} {c}[/]")
    out.print(f"Day count {claim.day_count}. Basis: {claim.basis}", markup=False)


@click.group(invoke_without_command=True)
@click.pass_context
def rates(ctx):
    """Reference rates (Bank of England, ECB, Basiszinssatz) behind statutory interest.

    The packaged history is the base; `arrears rates import FILE` adds periods.
    Without a sub-command: the same as `arrears rates show`.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(rates_show)


@rates.command("show")
@click.option("--series", help="Only this series (BOE_BANK_RATE, ECB_MRO, DE_BASISZINSSATZ).")
@click.pass_context
def rates_show(ctx, series):
    """List the reference-rate periods, packaged and imported."""
    org = organisation(ctx)
    from arrears.charges.rates import all_rows

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("series", "effective_from", "rate_pct", "source", "verification", "from"):
        table.add_column(name, justify="right" if name == "rate_pct" else "left")
    for row, origin in all_rows(org):
        if series and row.series != series:
            continue
        table.add_row(
            row.series,
            row.effective_from.isoformat(),
            str(row.rate_pct),
            esc(row.source),
            esc(row.verification),
            esc(origin),
        )
    out.print(table)


@rates.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_context
def rates_import(ctx, file):
    """Add reference-rate periods from FILE, a CSV with the columns of the packaged
    reference_rates.csv:

    series,effective_from,rate_pct,source,verification

    All or nothing: a bad row is named as FILE:ROW:COLUMN and nothing is imported."""
    org = organisation(ctx)
    from arrears.charges.rates import import_file
    from arrears.core.problems import Problems

    try:
        n = import_file(org, file)
    except Problems as exc:
        _problems(exc.problems, file)
    out.print(f"[green]✓[/] {n} reference-rate period(s) imported from {esc(str(file))}")


@click.group(invoke_without_command=True)
@click.pass_context
def fx(ctx):
    """Exchange rates for totals across currencies (ECB euro reference rates).

    Without a sub-command: the same as `arrears fx show`.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(fx_show)


@fx.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_context
def fx_import(ctx, file):
    """Load exchange rates from FILE in the ECB's euro reference rates format
    (eurofxref.csv or eurofxref-hist.csv, or its .zip): `Date,USD,JPY,...` with rates per
    1 EUR. All or nothing; a rate already there for the same day is replaced."""
    org = organisation(ctx)
    from arrears.charges.fx import import_ecb
    from arrears.core.problems import Problems

    try:
        n = import_ecb(org, file)
    except Problems as exc:
        _problems(exc.problems, file)
    out.print(f"[green]✓[/] {n} exchange rate(s) imported from {esc(str(file))}")


@fx.command("show")
@click.option("--date", "on", type=DATE, help="Rates in force on this day (default: today).")
@click.pass_context
def fx_show(ctx, on):
    """The latest rate of each currency pair on or before a day."""
    org = organisation(ctx)
    from arrears.charges.fx import rates_for
    from arrears.ledger.reports import org_today

    day = on or org_today(org)
    table = rates_for(org, day)
    if not len(table):
        out.print(f"No exchange rates on or before {day.isoformat()}: `arrears fx import FILE`.")
        return
    grid = Table(
        title=f"Exchange rates in force on {day.isoformat()}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for name in ("pair", "rate", "date", "source"):
        grid.add_column(name, justify="right" if name == "rate" else "left")
    for row in table.rows():
        grid.add_row(
            f"{row.base}/{row.quote}",
            f"1 {row.base} = {row.rate.normalize():f} {row.quote}",
            row.on.isoformat(),
            esc(row.source),
        )
    out.print(grid)


COMMANDS = [interest, rates, fx]
