"""Verbs about exposure and internal escalation: exposure, escalation."""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation

import click
from babel.numbers import format_decimal
from rich import box
from rich.table import Table

from .common import DATE, esc, fail, organisation, out

KEYS = (
    "client_id",
    "currency",
    "overdue",
    "current",
    "unbilled_wip",
    "uncovered_cost",
    "daily_burn",
    "credit_limit",
    "days_to_limit",
)


def _plain(value, currency):
    from arrears.core.money import round_money

    return None if value is None else str(round_money(value, currency))


def record(row) -> dict:
    """A row as JSON: exactly KEYS, money as strings with the currency's decimals."""
    return {
        "client_id": row.client_id,
        "currency": row.currency,
        **{
            k: _plain(getattr(row, k), row.currency)
            for k in ("overdue", "current", "unbilled_wip", "uncovered_cost", "daily_burn")
        },
        "credit_limit": _plain(row.credit_limit, row.currency),
        "days_to_limit": row.days_to_limit,
    }


def converted(rep, org) -> bool:
    """A base-currency total adds something: there is one, and not just the base's own total."""
    return rep.base.row is not None and [t.currency for t in rep.totals] != [org.base_currency]


@click.command()
@click.option("--date", "on", type=DATE, help="As of the end of this day (default: today).")
@click.option("--client", "client_id", metavar="ID", help="Only this client.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def exposure(ctx, on, client_id, fmt):
    """What each client's work has put at risk: receivables, unbilled work, uncovered cost.

    Per client and currency: overdue and current receivables, unbilled work in progress (at
    bill rate), contractor cost not covered by the client's payments, the daily burn over the
    last 14 days, the credit limit and the days until it is reached at that burn. Totals per
    currency, and in the organisation's base currency at the stated rates when there are rates.

    JSON: a list; one object per client with exactly client_id, currency, overdue, current,
    unbilled_wip, uncovered_cost, daily_burn, credit_limit, days_to_limit; then one totals
    object per currency with client_id null and "total": "currency"; then, when every currency
    has a rate, one with "total": "base" and "rates" (see docs/exposure.md).
    """
    org = organisation(ctx)
    from arrears.exposure.queries import report
    from arrears.ledger.models import Client
    from arrears.ledger.reports import org_today

    if client_id and not Client.objects.for_org(org).filter(external_id=client_id).exists():
        fail(f"no client {client_id!r}")
    rep = report(org, on or org_today(org), client_id=client_id)
    if fmt == "json":
        rows = [record(r) for r in rep.rows]
        rows += [{**record(t), "total": "currency"} for t in rep.totals]
        if converted(rep, org):
            rows.append({**record(rep.base.row), "total": "base", "rates": list(rep.base.rates)})
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    if not rep.rows:
        out.print(f"No exposure at {rep.on}.")
        return
    table = Table(
        title=f"Exposure at {rep.on.isoformat()} — {esc(org.name)}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )

    def money(value):
        if value is None or not value:
            return "[dim]–[/]"
        return format_decimal(value, format="#,##0", locale="en")

    shown = (*rep.rows, *rep.totals, *((rep.base.row,) if converted(rep, org) else ()))
    figure = max(
        len(money(getattr(r, f)))
        for r in shown
        for f in ("overdue", "current", "unbilled_wip", "uncovered_cost", "credit_limit")
    )
    # the figures keep their width; the client's name gives way
    room = max(10, min(30, out.width - 6 - 6 * (figure + 1) - 6))
    table.add_column("client", no_wrap=True, overflow="ellipsis", width=room)
    table.add_column("cur", no_wrap=True, min_width=3)
    for name in ("overdue", "current", "unbilled", "uncovered", "burn/day", "limit", "days"):
        width = 4 if name == "days" else max(figure, len(name) if figure > 6 else figure)
        table.add_column(name, justify="right", no_wrap=True, min_width=width)

    for r in rep.rows:
        name = f"[bold red]{esc(r.client_name)}[/]" if r.over_limit else esc(r.client_name)
        days = "[dim]–[/]" if r.days_to_limit is None else str(r.days_to_limit)
        table.add_row(
            f"{esc(r.client_id)} {name}",
            r.currency,
            *(money(getattr(r, f)) for f in ("overdue", "current", "unbilled_wip")),
            money(r.uncovered_cost),
            money(r.daily_burn),
            money(r.credit_limit),
            days,
        )
    table.add_section()
    for t in (*rep.totals, *((rep.base.row,) if converted(rep, org) else ())):
        table.add_row(
            f"[bold]{esc(t.client_name)}[/]",
            t.currency,
            *(money(getattr(t, f)) for f in ("overdue", "current", "unbilled_wip")),
            money(t.uncovered_cost),
            money(t.daily_burn),
            money(t.credit_limit),
            "",
        )
    out.print(table)
    out.print("Whole units; --format json for exact figures. Red: at or past the credit limit.")
    if converted(rep, org):
        out.print(esc("Base-currency total " + "; ".join(rep.base.rates) + "."))
    if rep.base.missing:
        out.print(
            f"No total in {org.base_currency}: no exchange rate for "
            f"{', '.join(rep.base.missing)} (arrears fx import)."
        )


@click.command()
@click.option(
    "--threshold",
    nargs=2,
    metavar="AMOUNT CURRENCY",
    help="Alert when a client's exposure reaches AMOUNT in CURRENCY (0 removes it).",
)
@click.option("--webhook", metavar="URL", help="Post the daily digest to this chat webhook.")
@click.option("--no-webhook", is_flag=True, help="Stop posting the digest to a chat webhook.")
@click.option(
    "--digest-email/--no-digest-email", default=None, help="Email the digest to leadership."
)
@click.pass_context
def escalation(ctx, threshold, webhook, no_webhook, digest_email):
    """Show or change the internal escalation settings: exposure alert thresholds and where
    the daily leadership digest goes (email, a Slack-compatible webhook)."""
    org = organisation(ctx)
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    from arrears.core.money import round_money
    from arrears.exposure.digest import wants_email, webhook_url
    from arrears.exposure.models import DigestSettings, Threshold
    from arrears.ledger.validators import validate_currency

    if threshold:
        raw, currency = threshold
        currency = currency.upper()
        try:
            validate_currency(currency)
            amount = Decimal(raw)
        except (ValidationError, InvalidOperation):
            fail(f"--threshold: {raw!r} {currency!r} is not an amount and a currency code")
        if amount < 0 or round_money(amount, currency) != amount:
            fail(f"--threshold: {raw} is not a positive amount in {currency}")
        if amount == 0:
            Threshold.objects.for_org(org).filter(currency=currency).delete()
        else:
            Threshold.objects.update_or_create(
                organisation=org, currency=currency, defaults={"amount": amount}
            )
    if webhook or no_webhook or digest_email is not None:
        if webhook:
            try:
                URLValidator(schemes=["http", "https"])(webhook)
            except ValidationError:
                fail(f"--webhook: {webhook!r} is not an http(s) address")
        found, _ = DigestSettings.objects.get_or_create(organisation=org)
        if webhook or no_webhook:
            found.webhook_url = "" if no_webhook else webhook
        if digest_email is not None:
            found.email = digest_email
        found.save()
    limits = Threshold.objects.for_org(org).order_by("currency")
    out.print(
        "Exposure alert thresholds: "
        + (", ".join(f"{t.amount} {t.currency}" for t in limits) or "none (credit limits only)")
    )
    out.print(f"Digest by email to leadership: {'yes' if wants_email(org) else 'no'}")
    out.print(f"Digest chat webhook: {esc(webhook_url(org) or 'none')}")


COMMANDS = [exposure, escalation]
