"""Verbs that report: aging."""

from __future__ import annotations

import csv
import json
import sys

import click
from babel.numbers import format_decimal
from rich import box
from rich.table import Table

from arrears.core.aging import BUCKETS

from .common import DATE, esc, organisation, out


def _plain(value, currency) -> str:
    from arrears.core.money import round_money

    return str(round_money(value, currency))


@click.command()
@click.option("--date", "on", type=DATE, help="As of this date (default: today).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.pass_context
def aging(ctx, on, fmt):
    """Aged receivables: what each client owed at the end of the day, by days past due.

    Buckets: current (not yet due), 1-30, 31-60, 61-90 and 90+ days overdue; one row per
    client and currency; totals per currency (never added across currencies).
    """
    org = organisation(ctx)
    from arrears.ledger.reports import aging as build
    from arrears.ledger.reports import org_today

    report = build(org, on or org_today(org))
    base = _base_total(org, report)
    columns = ["client_id", "client_name", "currency", *BUCKETS, "total"]

    def record(row):
        return {
            "client_id": row.client_id,
            "client_name": row.client_name,
            "currency": row.currency,
            **{b: _plain(row.buckets[b], row.currency) for b in BUCKETS},
            "total": _plain(row.total, row.currency),
        }

    if fmt == "json":
        json.dump(
            {
                "date": report.on.isoformat(),
                "rows": [record(r) for r in report.rows],
                "totals": [
                    {k: v for k, v in record(t).items() if k not in ("client_id", "client_name")}
                    for t in report.totals
                ],
                **({"base_total": _base_json(base)} if base else {}),
                "credits": [
                    {
                        "client_id": c.client_id,
                        "client_name": c.client_name,
                        "currency": c.currency,
                        "credit": _plain(c.amount, c.currency),
                    }
                    for c in report.credits
                ],
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for r in (*report.rows, *report.totals):
            writer.writerow(record(r))
        return
    from arrears.core.money import round_money

    cents = out.width >= 140
    note = "" if cents else " (whole units; --format csv for exact figures)"
    table = Table(
        title=f"Aged receivables at {report.on.isoformat()} — {esc(org.name)}{note}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )

    def money(value, currency):
        if value == 0:
            return "[dim]–[/]"
        if cents:
            return format_decimal(round_money(value, currency), format="#,##0.00", locale="en")
        return format_decimal(round_money(value, "JPY"), format="#,##0", locale="en")

    # the figures keep their width; the client's name gives way
    figure = max(
        (len(money(v, r.currency)) for r in (*report.rows, *report.totals) for v in (r.total,)),
        default=5,
    )
    room = max(8, min(28, out.width - 6 - 7 * (figure + 2)))
    table.add_column("client", no_wrap=True, overflow="ellipsis", width=room)
    table.add_column("cur", no_wrap=True, min_width=3)
    for b in (*BUCKETS, "total"):
        table.add_column(
            b, justify="right", no_wrap=True, min_width=max(figure, len(b)), overflow="fold"
        )

    for r in report.rows:
        late = r.buckets["61-90"] + r.buckets["90+"]
        name = f"[bold red]{esc(r.client_name)}[/]" if late else esc(r.client_name)
        table.add_row(
            name,
            r.currency,
            *(money(r.buckets[b], r.currency) for b in BUCKETS),
            money(r.total, r.currency),
        )
    if report.totals:
        table.add_section()
    for t in report.totals:
        table.add_row(
            "[bold]Total[/]",
            t.currency,
            *(money(t.buckets[b], t.currency) for b in BUCKETS),
            f"[bold]{money(t.total, t.currency)}[/]",
        )
    if not report.rows:
        out.print(f"Nothing outstanding at {report.on}.")
    else:
        out.print(table)
        if base:
            _print_base(base, money)
    if report.credits:
        out.print("Credit (paid more than owed; the client's next invoices use it):")
    for c in report.credits:
        out.print(
            f"  {esc(c.client_name)} ({esc(c.client_id)}): {money(c.amount, c.currency)} {c.currency}"
        )


def _base_total(org, report):
    """With several currencies: the total in the organisation's base currency, each figure
    converted at the latest rate on or before the report date (`arrears fx import`)."""
    currencies = {t.currency for t in report.totals}
    if len(currencies) < 2 and currencies <= {org.base_currency}:
        return None
    from arrears.charges.fx import rates_for
    from arrears.core.fx import total_in
    from arrears.core.money import Money

    amounts = [Money(t.total, t.currency) for t in report.totals]
    return total_in(rates_for(org, report.on), amounts, org.base_currency, report.on)


def _base_json(base) -> dict:
    to = base.money.currency
    return {
        "currency": to,
        "total": _plain(base.money.amount, to),
        "converted": [
            {
                "currency": p.original.currency,
                "total": _plain(p.original.amount, p.original.currency),
                "in_base": _plain(p.money.amount, to),
                "rate": format(p.rate.normalize(), "f"),
                "rate_date": p.rate_date.isoformat(),
            }
            for p in base.parts
        ],
        "missing": list(base.missing),
    }


def _print_base(base, money) -> None:
    to = base.money.currency
    partial = f" (without {', '.join(base.missing)}: no exchange rate)" if base.missing else ""
    out.print(f"[bold]Total in {to}: {money(base.money.amount, to)}[/]{partial}")
    for p in base.parts:
        line = f"  {p.original.currency} {money(p.original.amount, p.original.currency)}"
        if p.original.currency != to:
            line += f" = {to} {money(p.money.amount, to)} {esc(p.statement())}"
        out.print(line)
    if base.missing:
        out.print("  add rates with `arrears fx import FILE` (ECB euro reference rates)")


COMMANDS = [aging]
