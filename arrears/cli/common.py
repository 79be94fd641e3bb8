"""What every verb of the `arrears` command shares: Django set-up, the organisation, output."""

from __future__ import annotations

import os
import sys
from datetime import date

import click
from rich.console import Console
from rich.markup import escape as esc  # every value from the ledger or the user goes through it

from arrears.core.parsing import Invalid, parse_ledger_date

out = Console(highlight=False, soft_wrap=True)  # lines stay whole (for grep); tables still fit
err = Console(stderr=True, highlight=False, soft_wrap=True)  # problems stay one per line


def django_ready() -> None:
    """Configure Django on first use (so `--help` needs neither settings nor a database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arrears.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        try:
            django.setup()
        except Exception as exc:  # a bad ARREARS_* variable: say which, not a traceback
            from arrears.env import ConfigError

            if isinstance(exc, ConfigError):
                fail(str(exc))
            raise


def fail(message: str, code: int = 1) -> None:
    """Say what went wrong (plain text: it often quotes what the user typed) and exit."""
    err.print(f"[bold red]error:[/] {esc(message)}", markup=True, highlight=False)
    sys.exit(code)


def organisation(ctx: click.Context):
    """The organisation a verb works on: --org / ARREARS_ORG, else the only one there is."""
    django_ready()
    from django.db.utils import OperationalError, ProgrammingError

    from arrears.ledger.models import Organisation

    slug = ctx.find_root().params.get("org")
    try:
        if slug:
            found = Organisation.objects.filter(slug=slug).first()
            if found is None:
                known = ", ".join(Organisation.objects.values_list("slug", flat=True)) or "none"
                fail(f"no organisation {slug!r} (known: {known})")
            return found
        orgs = list(Organisation.objects.order_by("pk")[:2])
    except (OperationalError, ProgrammingError):
        fail("the database is not set up yet: run `arrears init` first")
    if not orgs:
        fail("no organisation yet: run `arrears init` first")
    if len(orgs) > 1:
        fail("there are several organisations: choose one with --org SLUG or ARREARS_ORG")
    return orgs[0]


class DateType(click.ParamType):
    """A date the ledger can hold (1990 to 2100): a day far outside it is a typo."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_ledger_date(value)
        except Invalid as exc:
            self.fail(str(exc), param, ctx)


DATE = DateType()
