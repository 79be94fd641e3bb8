"""Verbs that set an installation up and run it: init, demo, serve."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from .common import django_ready, err, esc, fail, organisation, out


@click.command()
@click.option("--org", "org_name", help="Organisation name, e.g. 'Northwind Engineering Ltd'.")
@click.option("--country", help="Organisation's country (ISO 3166-1 alpha-2, e.g. GB).")
@click.option("--email", help="The owner's email address (also the login).")
@click.option(
    "--password-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the owner's password from this file's first line.",
)
@click.option("--currency", help="Base currency (default: the country's).")
@click.option("--timezone", "tz", help="Time zone (default: the country's main zone).")
@click.option("--accounts-email", help="Where client replies go (default: the owner's email).")
@click.option("--address", default="", help="Postal address, for letters.")
@click.option("--no-input", is_flag=True, help="Never ask; fail if something is missing.")
def init(org_name, country, email, password_file, currency, tz, accounts_email, address, no_input):
    """Create the database, run migrations, create the organisation and its owner.

    Safe to run again: it applies new migrations and leaves existing data alone.
    """
    django_ready()
    from django.core.management import call_command

    from arrears.ledger.models import Organisation
    from arrears.ledger.organisations import OrganisationSpec, Owner, SetupError, set_up

    call_command("migrate", interactive=False, verbosity=0)
    out.print("[green]✓[/] database ready")
    if Organisation.objects.exists() and not org_name:
        names = ", ".join(Organisation.objects.values_list("name", flat=True))
        out.print(f"[green]✓[/] organisation already set up: {esc(names)}")
        return

    def ask(value, prompt, **kw):
        if value:
            return value
        if no_input:
            fail(f"{prompt} is required (pass it as an option)")
        return click.prompt(prompt, **kw)

    org_name = ask(org_name, "Organisation name")
    country = ask(country, "Country (ISO code, e.g. GB)")
    email = ask(email, "Owner email")
    if password_file:
        password = password_file.read_text().splitlines()[0] if password_file.read_text() else ""
    elif no_input:
        fail("a password is required: --password-file FILE")
    else:
        password = getpass.getpass("Owner password: ")
        if password != getpass.getpass("Again: "):
            fail("the passwords differ")
    spec = OrganisationSpec(
        name=org_name,
        country=country,
        owner_email=email,
        password=password,
        currency=currency,
        timezone=tz,
        accounts_email=accounts_email,
        address=address,
    )
    try:
        made = set_up(spec)
    except SetupError as exc:
        for problem in exc.problems:
            err.print(f"[red]✗[/] {esc(problem)}")
        fail("nothing was created")
    org = made.organisation
    verb = "created" if made.created else "already exists;"
    out.print(
        f"[green]✓[/] organisation {esc(repr(org.name))} {verb} "
        f"(slug {org.slug}, {org.base_currency}, {org.timezone})"
    )
    said = {
        Owner.NEW: f"owner {email} can log in with the password given",
        Owner.EXISTING: (
            f"owner {email} (a login that already existed) owns it too, and logs in with their "
            "existing password"
        ),
        Owner.ALREADY: f"owner {email} was already set up; their password is unchanged",
    }
    out.print(f"[green]✓[/] {esc(said[made.owner])}")


@click.command()
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data.")
@click.option(
    "--today", "today", type=str, default=None, help="Pretend today is this date (YYYY-MM-DD)."
)
@click.pass_context
def demo(ctx, seed, today):
    """Fill an empty organisation with a realistic demo ledger.

    About 40 clients in GB, US, DE, FR, NL, IE and ES; two years of time entries, invoices and
    payments; prompt payers, disorganised payers who pay after a nudge, a client in a hidden
    cash crunch that pays late and partially, a client that stopped paying; a few disputes and
    promises. Deterministic for a given --seed and --today.
    """
    from arrears.core.parsing import Invalid, parse_date

    org = organisation(ctx)
    from arrears.demo import DemoError, build_demo
    from arrears.ledger.models import Client
    from arrears.ledger.reports import org_today

    if Client.objects.for_org(org).exists():
        fail(f"{org.name} already has clients; the demo only fills an empty organisation")
    try:
        on = parse_date(today) if today else org_today(org)
    except Invalid as exc:
        fail(f"--today: {exc}")
    from rich.progress import BarColumn, Progress, TextColumn

    from arrears.demo import STAGES

    with Progress(
        TextColumn("loading the demo: {task.description}"),
        BarColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("generating", total=STAGES)
        try:
            summary = build_demo(
                org,
                seed=seed,
                today=on,
                progress=lambda s: bar.update(task, advance=1, description=s),
            )
        except DemoError as exc:
            fail(str(exc))
    out.print(
        f"[green]✓[/] demo loaded as of {on}: " + ", ".join(f"{n} {k}" for k, n in summary.items())
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--no-jobs", is_flag=True, help="Do not run the daily job here (another process or cron does)."
)
def serve(host, port, threads, no_jobs):
    """Serve the web UI (login, ledger admin, /health) and run the daily job.

    At each organisation's hour (`daily_run_hour`, 7 by default, in its time zone) the server
    plans the day and sends what is due, once a day however many servers run; in between it
    sends retries and messages whose send window has opened.
    """
    django_ready()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from waitress import serve as waitress_serve

    from arrears.wsgi import application

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        err.print("[yellow]The database needs migrating; running migrations.[/]")
        call_command("migrate", interactive=False, verbosity=0)
    if not no_jobs:
        import logging

        from arrears.dunning.scheduler import Scheduler

        logging.getLogger("arrears.scheduler").setLevel(logging.INFO)
        Scheduler().start()
        out.print("the daily job runs in this server (--no-jobs to leave it to cron)")
    out.print(f"arrears serving on http://{host}:{port}/  (Ctrl-C to stop)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="arrears")


COMMANDS = [init, demo, serve]
