"""The `arrears` command. Each verb lives in the module named for what it works on."""

from __future__ import annotations

import click

from arrears import __version__

from . import dunning, exposure, ledger, levers, money, org, plans, policy, reports, setup


class Arrears(click.Group):
    """The `arrears` command: click reports bad usage (exit 2) and the verbs their refusals
    (`fail`, exit 1); anything else a verb raises becomes one line on stderr and a traceback
    in the log (crash.py), exit 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["arrears.argv"] = list(args)  # for the log, if the verb fails
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into a line
            from .crash import crashed

            crashed(exc, ctx.invoked_subcommand or "", ctx.meta.get("arrears.argv", []))


@click.group(
    cls=Arrears,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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
