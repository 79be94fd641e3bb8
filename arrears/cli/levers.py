"""Verbs of the service levels: level (show, or set by hand), hook (add, list, remove, log),
escrow (put, list, remove). Secrets are read from a file or standard input, never from argv."""

from __future__ import annotations

import json
import shlex
import sys

import click
from rich.table import Table

from arrears.channels import HOOKS  # the hook channels' registry (imports no models)
from arrears.core.levels import ORDER

from .common import err, esc, fail, organisation, out

LEVELS = tuple(level.value for level in ORDER)


def _client(org, client_id):
    from arrears.ledger.models import Client

    found = Client.objects.for_org(org).filter(external_id=client_id).first()
    if found is None:
        fail(f"no client {client_id!r}")
    return found


def _dump(data) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _read_secret(source: str) -> bytes:
    """A secret from a file, or from standard input with `-` (trailing newline dropped)."""
    try:
        data = sys.stdin.buffer.read() if source == "-" else open(source, "rb").read()
    except OSError as exc:
        fail(f"{source}: {exc.strerror}")
    data = data.rstrip(b"\r\n")
    if not data:
        fail(f"{'standard input' if source == '-' else source} is empty: no secret to store")
    return data


# -- level ---------------------------------------------------------------------------------------
@click.command()
@click.argument("client_id")
@click.option("--set", "to", type=click.Choice(LEVELS), help="Change the level by hand.")
@click.option("--reason", help="Why (required with --set; kept in the history).")
@click.option("--by", help="Your email (owner or leadership). Also ARREARS_USER.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def level(ctx, client_id, to, reason, by, fmt):
    """A client's service level and its history; with --set, change it by hand.

    A change runs the same hooks as the ladder's lever steps (entering each level passed, or
    restoring each level left, last first) and, back to normal, tells the client and the team.
    """
    org = organisation(ctx)
    client = _client(org, client_id)
    if to is not None:
        _set(org, client, to, reason, by)
    _show(org, client, fmt)


def _set(org, client, to, reason, by):
    import os

    from arrears.core.levels import Level
    from arrears.dunning.decisions import DecisionError, approver
    from arrears.dunning.loop import Loop
    from arrears.ledger.models import OPEN_STATUSES, Invoice
    from arrears.ledger.reports import org_today
    from arrears.levers.service import change

    if not (reason or "").strip():
        fail("--set needs a --reason")
    by = by or os.environ.get("ARREARS_USER", "")
    if not by:
        fail("say who changes it: --by EMAIL (or ARREARS_USER)")
    try:
        user = approver(org, by)
    except DecisionError as exc:
        fail(str(exc))
    today = org_today(org)
    # the overdue invoices are what the level is about: paying them restores it
    overdue = Invoice.objects.for_org(org).filter(
        client=client, status__in=OPEN_STATUSES, due_date__lt=today
    )
    made = change(
        org,
        client,
        Level(to),
        reason=reason.strip(),
        on=today,
        by_person=user,
        triggers=list(overdue.values_list("pk", flat=True)) if to != "normal" else (),
    )
    if made is None:
        out.print(f"{esc(client.external_id)} is already {to}")
        return
    out.print(f"[green]✓[/] {esc(client.external_id)}: {made.from_level} → {made.to_level}")
    # the change's hooks and notices, now, through the one outbox loop
    result = Loop(org, today, kinds=("hook", "level-notice")).run()
    for problem in result.problems:
        err.print(f"[red]✗[/] {esc(problem)}", markup=True)


def _show(org, client, fmt):
    from arrears.dunning.models import OutboxAction
    from arrears.levers.models import LevelChange
    from arrears.levers.service import current

    sl = current(client)
    changes = list(
        LevelChange.objects.for_org(org).filter(client=client).select_related("by_person")
    )
    triggers = sorted(sl.triggers.values_list("number", flat=True))
    hooks = OutboxAction.objects.for_org(org).filter(client=client, kind="hook").order_by("pk")
    if fmt == "json":
        _dump(
            {
                "client_id": client.external_id,
                "level": sl.level,
                "episode": sl.episode,
                "since": sl.since.isoformat() if sl.since else None,
                "triggers": triggers,
                "history": [
                    {
                        "at": c.at.isoformat(),
                        "on": c.on.isoformat(),
                        "episode": c.episode,
                        "from": c.from_level,
                        "to": c.to_level,
                        "by": c.by,
                        "reason": c.reason,
                    }
                    for c in changes
                ],
                "hooks": [
                    {
                        "key": h.key,
                        "status": h.status,
                        "attempts": h.attempts,
                        "last_error": h.last_error,
                    }
                    for h in hooks
                ],
            }
        )
        return
    since = f" since {sl.since:%Y-%m-%d %H:%M}" if sl.since else ""
    out.print(f"{esc(client.name)} ({esc(client.external_id)}): [bold]{sl.level}[/]{since}")
    if triggers:
        out.print(f"  restored when paid: {esc(', '.join(triggers))}")
    if not changes:
        out.print("  no change of level yet")
        return
    table = Table(title="History", title_justify="left")
    for col in ("when", "change", "by", "why"):
        table.add_column(col, overflow="fold")
    for c in changes:
        table.add_row(f"{c.on}", f"{c.from_level} → {c.to_level}", esc(c.by), esc(c.reason))
    out.print(table)
    if hooks:
        table = Table(title="Hooks", title_justify="left")
        for col in ("key", "status", "attempts", "last error"):
            table.add_column(col, overflow="fold")
        for h in hooks:
            table.add_row(esc(h.key), h.status, str(h.attempts), esc(h.last_error))
        out.print(table)


# -- hook ----------------------------------------------------------------------------------------
@click.group()
def hook():
    """Hooks run when a client's service level changes: add, list, remove, log."""


@hook.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(sorted(HOOKS)), required=True, help="What runs.")
@click.option("--client", "client_id", help="Only for this client (default: every client).")
@click.option(
    "--on",
    "events",
    multiple=True,
    help="A transition: enter:LEVEL or restore:LEVEL (maintenance, stopped, suspended); "
    "repeat. Default: every one (escrow: enter:suspended and restore:suspended).",
)
@click.option("--url", help="webhook: where to POST.")
@click.option(
    "--secret-from-file",
    "secret_file",
    metavar="FILE",
    help="webhook: the signing secret, from FILE (- for standard input).",
)
@click.option("--command", "command", help="command: the program and its arguments.")
@click.option("--secret-name", "secret_name", metavar="NAME", help="escrow: which escrowed secret.")
@click.option("--withhold", help="escrow: the command that takes the secret away.")
@click.option("--restore", help="escrow: the command that puts it back (secret on stdin).")
@click.option("--timeout", type=int, help="Seconds (webhook 10, command and escrow 60).")
@click.pass_context
def hook_add(
    ctx,
    name,
    kind,
    client_id,
    events,
    url,
    secret_file,
    command,
    secret_name,
    withhold,
    restore,
    timeout,
):
    """Add the hook NAME."""
    org = organisation(ctx)
    from arrears.channels.escrow.crypto import seal
    from arrears.core.levels import parse_event
    from arrears.levers.models import Hook

    client = _client(org, client_id) if client_id else None
    raw: dict = {}
    if url is not None:
        raw["url"] = url
    if secret_file is not None:
        if kind != "webhook":
            fail("--secret-from-file is a webhook's signing secret (escrow: arrears escrow put)")
        raw["secret"] = seal(_read_secret(secret_file))
    for field, text in (("argv", command), ("withhold", withhold), ("restore", restore)):
        if text is not None:
            raw[field] = shlex.split(text)
    if secret_name is not None:
        if kind != "escrow":
            fail("--secret-name names an escrowed secret: for escrow hooks only")
        raw["secret"] = secret_name
    if timeout is not None:
        raw["timeout"] = timeout
    settings, problems = HOOKS[kind].check(raw)
    try:
        chosen = [parse_event(e) for e in events] or list(HOOKS[kind].default_events)
    except ValueError as exc:
        problems.append(f"--on {exc}")
    if Hook.objects.for_org(org).filter(name=name).exists():
        problems.append(f"a hook named {name!r} exists already")
    if problems:
        for p in problems:
            err.print(f"{name}: {p}", markup=False)
        fail(f"{len(problems)} problem(s); the hook was not added")
    Hook.objects.create(
        organisation=org, name=name, client=client, kind=kind, events=chosen, settings=settings
    )
    where = client.external_id if client else "every client"
    out.print(f"[green]✓[/] hook {esc(name)} ({kind}) for {esc(where)} on {', '.join(chosen)}")


@hook.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def hook_list(ctx, fmt):
    """The hooks, in the order they run."""
    org = organisation(ctx)
    from arrears.levers.models import Hook

    rows = []
    for h in Hook.objects.for_org(org).select_related("client").order_by("client_id", "pk"):
        settings, _ = HOOKS[h.kind].check(h.settings)
        rows.append(
            {
                "name": h.name,
                "kind": h.kind,
                "client_id": h.client.external_id if h.client else None,
                "events": h.events,
                "what": HOOKS[h.kind].describe(settings),
                "enabled": h.enabled,
            }
        )
    if fmt == "json":
        _dump(rows)
        return
    if not rows:
        out.print("no hooks yet: arrears hook add NAME --kind …")
        return
    table = Table(title="Hooks", title_justify="left")
    for col in ("name", "kind", "client", "on", "what"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            esc(r["name"]),
            r["kind"],
            esc(r["client_id"] or "all"),
            ", ".join(r["events"]),
            esc(r["what"]),
        )
    out.print(table)


@hook.command("remove")
@click.argument("name")
@click.pass_context
def hook_remove(ctx, name):
    """Remove the hook NAME (its queued runs are cancelled; its log stays)."""
    org = organisation(ctx)
    from arrears.levers.models import Hook

    found = Hook.objects.for_org(org).filter(name=name).first()
    if found is None:
        fail(f"no hook {name!r}")
    found.delete()
    out.print(f"[green]✓[/] hook {esc(name)} removed")


@hook.command("log")
@click.option("--client", "client_id", help="Only this client.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def hook_log(ctx, client_id, fmt):
    """Every run of a hook: when, which, attempt, outcome, exit or HTTP status, output."""
    org = organisation(ctx)
    from arrears.levers.models import HookRun

    runs = HookRun.objects.for_org(org).select_related("action__client").order_by("pk")
    if client_id:
        runs = runs.filter(action__client=_client(org, client_id))
    rows = [
        {
            "at": r.started_at.isoformat(),
            "key": r.key,
            "attempt": r.attempt,
            "outcome": r.outcome,
            "exit_status": r.exit_status,
            "http_status": r.http_status,
            "output": r.output,
        }
        for r in runs
    ]
    if fmt == "json":
        _dump(rows)
        return
    table = Table(title="Hook runs", title_justify="left")
    for col in ("at", "key", "#", "outcome", "status", "output"):
        table.add_column(col, overflow="fold")
    for r in rows:
        status = r["exit_status"] if r["exit_status"] is not None else r["http_status"]
        table.add_row(
            r["at"][:16],
            esc(r["key"]),
            str(r["attempt"]),
            r["outcome"],
            "" if status is None else str(status),
            esc(r["output"][:200]),
        )
    out.print(table)


# -- escrow --------------------------------------------------------------------------------------
@click.group()
def escrow():
    """Secrets held in escrow for the suspension hooks (encrypted at rest)."""


@escrow.command("put")
@click.argument("client_id")
@click.argument("name")
@click.option(
    "--from-file",
    "source",
    required=True,
    metavar="FILE",
    help="Read the secret from FILE (- for standard input). Never pass it on the command line.",
)
@click.pass_context
def escrow_put(ctx, client_id, name, source):
    """Store (or replace) the secret NAME of CLIENT_ID, encrypted."""
    org = organisation(ctx)
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_slug

    from arrears.channels.escrow.crypto import seal
    from arrears.levers.models import Escrow

    client = _client(org, client_id)
    try:
        validate_slug(name)
    except ValidationError:
        fail(f"{name!r}: a secret's name is letters, digits, - and _")
    token = seal(_read_secret(source))
    Escrow.objects.update_or_create(
        client=client, name=name, defaults={"organisation": org, "token": token}
    )
    out.print(f"[green]✓[/] secret {esc(name)} of {esc(client_id)} stored in escrow (encrypted)")


@escrow.command("list")
@click.argument("client_id", required=False)
@click.pass_context
def escrow_list(ctx, client_id):
    """The escrowed secrets (names and state, never the secrets)."""
    org = organisation(ctx)
    from arrears.levers.models import Escrow

    rows = (
        Escrow.objects.for_org(org).select_related("client").order_by("client__external_id", "name")
    )
    if client_id:
        rows = rows.filter(client=_client(org, client_id))
    table = Table(title="Escrow", title_justify="left")
    for col in ("client", "name", "state", "updated"):
        table.add_column(col)
    for e in rows:
        state = "withheld from the client" if e.withheld else "with the client"
        table.add_row(
            esc(e.client.external_id), esc(e.name), state, f"{e.updated_at:%Y-%m-%d %H:%M}"
        )
    out.print(table)


@escrow.command("remove")
@click.argument("client_id")
@click.argument("name")
@click.pass_context
def escrow_remove(ctx, client_id, name):
    """Forget the secret NAME of CLIENT_ID."""
    org = organisation(ctx)
    from arrears.levers.models import Escrow

    n, _ = Escrow.objects.for_org(org).filter(client=_client(org, client_id), name=name).delete()
    if not n:
        fail(f"no secret {name!r} for {client_id}")
    out.print(f"[green]✓[/] secret {esc(name)} of {esc(client_id)} removed")


COMMANDS = [level, hook, escrow]
