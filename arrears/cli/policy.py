"""`arrears policy`: show, validate, edit, set, history and assign dunning policies."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path

import click
from rich.table import Table

from .common import django_ready, err, esc, fail, organisation, out


def _who(by: str | None) -> str:
    return by or os.environ.get("ARREARS_USER") or getpass.getuser()


def _text_of(file: Path) -> str:
    """A policy file's text; a clear refusal if it cannot be read as UTF-8 text."""
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text (a policy is a YAML file)")
    except OSError as exc:
        fail(f"{file}: {exc.strerror or exc}")


def _report(exc) -> None:
    for p in exc.problems:
        err.print(str(p), markup=False)
    fail(f"{len(exc.problems)} problem(s); the policy was not saved")


@click.group()
def policy():
    """Dunning policies: the ladder of steps, as YAML, versioned."""


@policy.command()
@click.argument("name", default="default")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json", "table"]),
    default="yaml",
    show_default=True,
)
@click.pass_context
def show(ctx, name, fmt):
    """Print the policy NAME as it is in force."""
    org = organisation(ctx)
    from arrears.core.policy import policy_to_data
    from arrears.dunning.policy_store import current_texts, parse

    texts = current_texts(org)
    if name not in texts:
        fail(f"no policy {name!r} (known: {', '.join(sorted(texts))})")
    text, version = texts[name]
    if fmt == "yaml":
        sys.stdout.write(text)
        return
    p = parse(text, name)
    if fmt == "json":
        json.dump({**policy_to_data(p), "version": version}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    table = Table(title=esc(f"Policy {name} (version {version})"), title_justify="left")
    for col in ("step", "offset", "kind", "level", "to", "cc", "notify", "gate", "approval"):
        table.add_column(col)
    for s in p.steps:
        table.add_row(
            *map(
                esc,
                (
                    s.id,
                    f"{s.offset_days:+d}",
                    s.kind,
                    s.level,
                    ", ".join(s.to),
                    ", ".join(s.cc),
                    ", ".join(s.notify),
                    s.gate or "",
                    "yes" if s.approval else "",
                ),
            )
        )
    out.print(table)
    out.print(
        f"notice {p.notice_days} days · promise grace {p.promise_grace_days} days · minimum {p.minimum_amount} · "
        f"send window {p.send_window[0]:%H:%M}-{p.send_window[1]:%H:%M} client time"
    )


@policy.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file):
    """Check a policy file; list every problem."""
    django_ready()
    from arrears.core.policy import PolicyError
    from arrears.dunning.policy_store import parse

    try:
        p = parse(_text_of(file), str(file))
    except PolicyError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False)
        fail(f"{len(exc.problems)} problem(s) in {file}")
    out.print(f"[green]✓[/] {esc(f'{file}: policy {p.name!r}')}, {len(p.steps)} steps, no problems")


@policy.command("set")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", help="Who is changing it (default: ARREARS_USER or your login name).")
@click.option("--note", default="", help="Why, for the history.")
@click.pass_context
def set_(ctx, file, by, note):
    """Save FILE as the next version of the policy it names."""
    org = organisation(ctx)
    from arrears.core.policy import PolicyError
    from arrears.dunning.policy_store import save_policy

    try:
        v = save_policy(org, _text_of(file), changed_by=_who(by), source=str(file), note=note)
    except PolicyError as exc:
        _report(exc)
    out.print(
        f"[green]✓[/] {esc(f'policy {v.name!r} version {v.version} saved by {v.changed_by}')}"
    )


@policy.command()
@click.argument("name", default="default")
@click.option("--by", help="Who is changing it (default: ARREARS_USER or your login name).")
@click.option("--note", default="")
@click.pass_context
def edit(ctx, name, by, note):
    """Open the policy NAME in $EDITOR; save it as a new version if it is valid."""
    org = organisation(ctx)
    from arrears.core.policy import PolicyError
    from arrears.dunning.policy_store import current_texts, default_text, save_policy

    text = current_texts(org).get(
        name, (default_text().replace("name: default", f"name: {name}", 1), 0)
    )[0]
    edited = click.edit(text, extension=".yaml")
    if edited is None or edited == text:
        out.print("No change.")
        return
    try:
        v = save_policy(
            org, edited, changed_by=_who(by), source=f"policy {name} (edited)", note=note
        )
    except PolicyError as exc:
        _report(exc)
    out.print(
        f"[green]✓[/] {esc(f'policy {v.name!r} version {v.version} saved by {v.changed_by}')}"
    )


@policy.command()
@click.argument("name", default="default")
@click.pass_context
def history(ctx, name):
    """Every saved version of the policy NAME: who, when, why."""
    org = organisation(ctx)
    from arrears.dunning.models import PolicyVersion

    table = Table(title=esc(f"Policy {name}"), title_justify="left")
    for col in ("version", "saved", "by", "note"):
        table.add_column(col)
    for v in PolicyVersion.objects.for_org(org).filter(name=name).order_by("-version"):
        saved = v.created_at.strftime("%Y-%m-%d %H:%M")
        table.add_row(str(v.version), saved, esc(v.changed_by), esc(v.note))
    table.add_row("0", "", "(built in)", "the ladder in PRODUCT.md") if name == "default" else None
    out.print(table)


@policy.command()
@click.argument("name")
@click.option("--client", "client_id", help="Assign to this client.")
@click.option("--contract", "contract_id", help="Assign to this contract (wins over the client's).")
@click.pass_context
def assign(ctx, name, client_id, contract_id):
    """Use the policy NAME for a client or a contract (`default` goes back to the default)."""
    org = organisation(ctx)
    from arrears.dunning.policy_store import current_texts
    from arrears.ledger.models import Client, Contract

    if name not in current_texts(org):
        fail(f"no policy {name!r}; save it first with `arrears policy set FILE`")
    if bool(client_id) == bool(contract_id):
        fail("give exactly one of --client or --contract")
    model, ext = (Client, client_id) if client_id else (Contract, contract_id)
    n = (
        model.objects.for_org(org)
        .filter(external_id=ext)
        .update(policy="" if name == "default" else name)
    )
    if not n:
        fail(f"no {model.__name__.lower()} {ext!r}")
    out.print(f"[green]✓[/] {esc(f'{model.__name__.lower()} {ext} now follows policy {name!r}')}")


COMMANDS = [policy]
