"""Verbs about the organisation itself: `arrears org show`, `arrears org set
bank|address|charge-as`."""

from __future__ import annotations

import json
import sys

import click

from .common import fail, organisation, out


@click.group()
def org():
    """The organisation: its details, and the bank details clients pay to."""


@org.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def show(ctx, fmt):
    """The organisation's details, as clients see them on messages and letters."""
    o = organisation(ctx)
    charges, source = _charge_as(o)
    details = {
        "name": o.name,
        "slug": o.slug,
        "country": o.country,
        "base_currency": o.base_currency,
        "timezone": o.timezone,
        "accounts_email": o.accounts_email,
        "postal_address": o.postal_address,
        "daily_run_hour": o.daily_run_hour,
        "bank": {
            "account_name": o.bank_account_name,
            "iban": o.bank_iban,
            "bic": o.bank_bic,
            "account_number": o.bank_account_number,
            "sort_code": o.bank_sort_code,
        },
        "charge_as": {"value": charges, "from": source},
    }
    if fmt == "json":
        json.dump(details, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    rows = [
        ("name", f"{o.name} ({o.slug})"),
        ("country", o.country),
        ("currency", o.base_currency),
        ("time zone", f"{o.timezone}; the daily run at {o.daily_run_hour}:00"),
        ("accounts email", o.accounts_email),
        ("postal address", ", ".join(o.postal_address.split("\n")) or "none set"),
    ]
    lines = o.bank.lines()
    rows += [(f"bank: {label}", value) for label, value in lines] or [
        ("bank", "none set: messages and letters cannot say where to pay (arrears org set bank)")
    ]
    origin = "set for the organisation" if source == "organisation" else "ARREARS_CHARGE_AS"
    rows.append(("late charges", f"{charges} ({origin})"))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        out.print(f"{label.ljust(width)}  {value}", highlight=False)


@org.group(name="set")
def set_():
    """Change the organisation's details."""


@set_.command()
@click.option("--iban", help="International account number, e.g. GB82 WEST 1234 5698 7654 32.")
@click.option("--bic", help="The bank's BIC (SWIFT code), e.g. WESTGB2L; goes with --iban.")
@click.option("--account-number", help="A UK account number (8 digits); with --sort-code.")
@click.option("--sort-code", help="A UK sort code, e.g. 12-34-56; with --account-number.")
@click.option("--account-name", help="The account holder (default: the organisation's name).")
@click.option("--clear", is_flag=True, help="Remove the bank details.")
@click.pass_context
def bank(ctx, iban, bic, account_number, sort_code, account_name, clear):
    """Where clients pay: shown on every message and letter a client receives.

    Give an IBAN (with the BIC), a UK account number with its sort code, or both. The details
    given replace the ones before; the IBAN's check digits are verified, so a mistyped account
    is refused rather than printed on every reminder.
    """
    from arrears.core.bank import (
        parse_account_number,
        parse_bic,
        parse_iban,
        parse_sort_code,
    )
    from arrears.core.parsing import Invalid

    o = organisation(ctx)
    if clear:
        if any((iban, bic, account_number, sort_code, account_name)):
            fail("--clear removes the bank details; give it alone")
        values = dict.fromkeys(FIELDS, "")
    else:
        if not (iban or account_number):
            fail("give --iban (with --bic), or --account-number with --sort-code")
        if bic and not iban:
            fail("--bic goes with --iban")
        if bool(account_number) != bool(sort_code):
            fail("--account-number and --sort-code go together")
        values, problems = {}, []
        for option, field, raw, parse in (
            ("--iban", "bank_iban", iban, parse_iban),
            ("--bic", "bank_bic", bic, parse_bic),
            ("--account-number", "bank_account_number", account_number, parse_account_number),
            ("--sort-code", "bank_sort_code", sort_code, parse_sort_code),
        ):
            try:
                values[field] = parse(raw) if raw else ""
            except Invalid as exc:
                problems.append(f"{option}: {exc}")
        if problems:  # every problem, and nothing changed
            fail("; ".join(problems))
        values["bank_account_name"] = (account_name or "").strip()
    for field, value in values.items():
        setattr(o, field, value)
    o.save(update_fields=list(values))
    if clear:
        out.print("[green]✓[/] bank details removed")
        return
    out.print(f"[green]✓[/] clients of {o.name} are asked to pay to:")
    for label, value in o.bank.lines():
        out.print(f"  {label}: {value}", highlight=False)


FIELDS = ("bank_account_name", "bank_iban", "bank_bic", "bank_account_number", "bank_sort_code")


@set_.command()
@click.argument("lines", nargs=-1, required=True)
@click.pass_context
def address(ctx, lines):
    """The postal address on letters, one argument per line:
    arrears org set address "12 Harbour Street" "Bristol BS1 4QA"."""
    from arrears.core.parsing import Invalid, check_text

    o = organisation(ctx)
    try:
        kept = [check_text(line).strip() for line in lines if line.strip()]
    except Invalid as exc:
        fail(f"address: {exc}")
    o.postal_address = "\n".join(kept)
    o.save(update_fields=["postal_address"])
    out.print(f"[green]✓[/] letters of {o.name} show: {', '.join(kept)}", highlight=False)


def _charge_as(o) -> tuple[str, str]:
    """How late-payment charges are recorded, and where that comes from: `organisation`
    (`arrears org set charge-as`) or `environment` (ARREARS_CHARGE_AS, or its default)."""
    from arrears.charges.hooks import default_charge_as

    if o.charge_as:
        return o.charge_as, "organisation"
    return default_charge_as(), "environment"


CHARGE_AS_DEFAULT = "default"


@set_.command(name="charge-as")
@click.argument("value", metavar="VALUE")
@click.pass_context
def charge_as(ctx, value):
    """How late-payment charges are recorded the day a late notice or final demand states them:
    interest-line (charge rows on the invoice), fee-invoice (also billed on an invoice of their
    own, <number>-F1, due that day), none (quoted in the notices, never charged), or default
    (back to ARREARS_CHARGE_AS)."""
    o = organisation(ctx)
    from arrears.ledger.models.organisation import ChargeAs

    allowed = [*ChargeAs.values, CHARGE_AS_DEFAULT]
    chosen = value.strip().lower()
    if chosen not in allowed:
        fail(f"charge-as: {value!r} is not one of {', '.join(allowed)}")
    o.charge_as = "" if chosen == CHARGE_AS_DEFAULT else chosen
    o.save(update_fields=["charge_as"])
    mode, source = _charge_as(o)
    how = ChargeAs(mode).label
    if source == "organisation":
        out.print(f"[green]✓[/] late charges of {o.name}: {mode} ({how})", highlight=False)
    else:
        out.print(
            f"[green]✓[/] late charges of {o.name} follow ARREARS_CHARGE_AS: {mode} ({how})",
            highlight=False,
        )


COMMANDS = [org]
