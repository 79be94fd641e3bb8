"""The `arrears` command. Each verb lives in the module named for what it works on."""

from __future__ import annotations

import click

from arrears import __version__

from . import dunning, exposure, ledger, levers, money, org, plans, policy, reports, setup


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--org",
    envvar="ARREARS_ORG",
    metavar="SLUG",
    help="The organisation to work on (default: the only one). Also ARREARS_ORG.",
)
@click.version_option(__version__, prog_name="arrears")
def main(org: str | None) -> None:
    """arrears: get paid for engineering work, on autopilot.

    Data lives in $ARREARS_HOME (default ./var); the database is $ARREARS_DATABASE_URL
    (default SQLite there). Start with `arrears init`, then `arrears demo` or `arrears import`.
    """


for module in (setup, ledger, reports, policy, dunning, money, levers, plans, exposure, org):
    for command in module.COMMANDS:
        main.add_command(command)
