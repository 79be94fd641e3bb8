"""Verbs that drive the dunning engine: plan, apply, approve, reject, promise, dispute, resolve,
timeline."""

from __future__ import annotations

import json
import sys

import click
from rich.table import Table

from arrears.core.actions import Status
from arrears.core.money import round_money

from .common import DATE, err, esc, fail, organisation, out

STATUS_STYLE = {
    Status.DUE: "green",
    Status.NEEDS_APPROVAL: "yellow",
    Status.WAITING: "cyan",
    Status.BLOCKED: "red",
}


def _today(org):
    from arrears.ledger.reports import org_today

    return org_today(org)


def action_json(a) -> dict:
    return {
        "key": a.key,
        "client_id": a.client_id,
        "step": a.step,
        "kind": a.kind,
        "level": a.level,
        "status": a.status,
        "scheduled_for": a.scheduled_for.isoformat(),
        "to": list(a.to),
        "cc": list(a.cc),
        "items": [
            {
                "invoice_number": i.invoice_number,
                "step": i.step,
                "outstanding": str(round_money(i.outstanding, i.currency)),
                "currency": i.currency,
                "due_date": i.due_date.isoformat(),
                "days_overdue": i.days_overdue,
            }
            for i in a.items
        ],
        "reason": a.reason,
        "template": a.template,
        "policy": a.policy,
    }


def idle_json(i) -> dict:
    return {
        "client_id": i.client_id,
        "invoice_number": i.invoice_number,
        "status": "idle",
        "reason": i.reason,
        "next_step": i.next_step,
        "next_on": i.next_on.isoformat() if i.next_on else None,
    }


@click.command()
@click.option(
    "--date",
    "on",
    type=DATE,
    help="Plan this day (default: today in the organisation's time zone).",
)
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    help="The calendar of the next N days, assuming nobody pays.",
)
@click.option("--client", "client_id", help="Only this client.")
@click.option("--explain", is_flag=True, help="Also list open invoices that get nothing, and why.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def plan(ctx, on, days, client_id, explain, fmt):
    """What the engine would do (nothing is sent or written).

    Each action has a status: due (will be done by `arrears apply`), needs_approval (approve it
    with `arrears approve KEY`), waiting (a lever waiting for notice or for an earlier lever)
    or blocked (a gate clause is missing, no contact to write to, or rejected).
    """
    org = organisation(ctx)
    from arrears.dunning.engine import calendar, make_plan

    on = on or _today(org)
    idle, errors = [], []
    if days:
        actions = calendar(org, on, days, client_id=client_id)
    else:
        result, _ = make_plan(org, on, client_id=client_id, explain=explain)
        actions, idle, errors = list(result.actions), list(result.idle), list(result.errors)
    for e in errors:  # one bad row never stops the day: the others are planned
        err.print(f"[red]✗[/] {esc(e.client_id)}: could not be planned: {esc(e.message)}")
    charged = {}
    if explain:  # late-payment charges already made, shown on their invoice
        from arrears.charges.history import charged as charges_of

        numbers = [i.invoice_number for a in actions for i in a.items]
        charged = charges_of(org, numbers + [i.invoice_number for i in idle])
    if fmt == "json":
        rows = [action_json(a) for a in actions] + [idle_json(i) for i in idle]
        for row in rows:  # with --explain, the charges of the invoices that have some
            for item in row.get("items", [row]):
                if item["invoice_number"] in charged:
                    item["charges"] = charged[item["invoice_number"]]
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    title = (
        f"Plan for {on}"
        + (f" and the next {days - 1} days" if days and days > 1 else "")
        + f" — {esc(org.name)}"
    )
    if not actions:
        out.print(f"{title}: nothing to do.")
    else:
        table = Table(title=title, title_justify="left", show_lines=False)
        if days:
            table.add_column("date", no_wrap=True)
        for col in ("client", "step", "status", "invoices", "to / reason"):
            table.add_column(col, overflow="fold")
        for a in actions:
            invs = ", ".join(
                _with_charges(
                    i.invoice_number if i.step == a.step else f"{i.invoice_number} ({i.step})",
                    charged.get(i.invoice_number),
                )
                for i in a.items
            )
            who = (
                a.reason
                if a.status != Status.DUE
                else ", ".join(a.to) + (f" cc {', '.join(a.cc)}" if a.cc else "")
            )
            row = [
                esc(a.client_id),
                f"{esc(a.step)} [dim]{a.kind}[/]",
                f"[{STATUS_STYLE[a.status]}]{a.status}[/]",
                esc(invs),
                esc(who),
            ]
            table.add_row(*([a.scheduled_for.isoformat()] if days else []), *row)
        out.print(table)
        counts = {}
        for a in actions:
            counts[a.status] = counts.get(a.status, 0) + 1
        out.print("  " + ", ".join(f"{n} {s}" for s, n in counts.items()))
        if any(a.status == Status.NEEDS_APPROVAL for a in actions):
            out.print(
                "  Keys to approve: "
                + esc(", ".join(a.key for a in actions if a.status == Status.NEEDS_APPROVAL))
            )
    if not days and client_id is None:
        from arrears.dunning.extensions import notes_for

        for line in notes_for(org, on):
            out.print(f"  {esc(line)}", highlight=False)
    if idle:
        table = Table(title="Open invoices with nothing to do today", title_justify="left")
        for col in ("client", "invoice", "why"):
            table.add_column(col, overflow="fold")
        for i in idle:
            number = _with_charges(i.invoice_number, charged.get(i.invoice_number))
            table.add_row(esc(i.client_id), esc(number), esc(i.reason))
        out.print(table)


def _with_charges(shown: str, charges: str | None) -> str:
    return f"{shown} (charged {charges})" if charges else shown


@click.command()
@click.option(
    "--date",
    "on",
    type=DATE,
    help="Act as on this day (catching up, testing); the send window is not applied.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=2,
    show_default=True,
    help="Processes sending at once when there are many messages (each its own mail connection).",
)
@click.option(
    "--show-messages",
    is_flag=True,
    help="With ARREARS_EMAIL_URL=console://, print each message whole (not one line each).",
)
@click.pass_context
def apply(ctx, on, workers, show_messages):
    """Do what is due: write each action to the outbox, send it, mark it sent.

    Safe to run every few minutes from cron and as several processes at once: nothing is sent
    twice. Right before each send the action is checked against the ledger again, so a payment,
    dispute, promise or write-off recorded since cancels it. Temporary mail failures are retried
    with backoff on later runs; permanent ones are marked failed and alerted. Exits 1 when
    anything failed.
    """
    org = organisation(ctx)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from arrears.dunning.engine import run_day

    day = on or _today(org)
    progress = Progress(
        TextColumn("sending"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    )
    state = {"task": None}

    def on_ready(n):
        if n > 20 and err.is_terminal:
            progress.start()
            state["task"] = progress.add_task("send", total=n)

    def advance(n):
        if state["task"] is not None:
            progress.advance(state["task"], n)

    from arrears.channels.email.console import messages_shown

    try:
        with messages_shown(show_messages):
            report = run_day(
                org,
                day,
                honour_window=on is None,
                progress=advance,
                on_ready=on_ready,
                workers=workers,
            )
    finally:
        if state["task"] is not None:
            progress.stop()
    d = report.delivery
    waiting = report.plan.count(Status.NEEDS_APPROVAL)
    others = report.by_runner  # e.g. "; of those sent, 1 by escalation, 2 by hook"
    by = ", ".join(f"{n} by {kind}" for kind, n in sorted(others.items()))
    out.print(
        f"{day}: {report.queued} queued, {d.sent} sent, {d.cancelled} cancelled, "
        f"{d.retrying} to retry, {d.failed} failed"
        + (f"; {waiting} need approval (arrears plan)" if waiting else "")
        + (f"; of those sent, {by}" if by else "")
        + (f"; {later} wait for the client's send window" if (later := _later(org)) else ""),
        highlight=False,
    )
    for problem in d.problems[:20]:
        err.print(f"[red]✗[/] {esc(problem)}", markup=True)
    if len(d.problems) > 20:
        err.print(f"  … and {len(d.problems) - 20} more (arrears timeline CLIENT shows each)")
    if d.failed or d.retrying or report.plan.errors:
        sys.exit(1)


def _later(org) -> int:
    """Messages queued for a send window that has not opened yet (arrears deliver, cron or
    the server's job sends them when it opens)."""
    from django.utils import timezone

    from arrears.dunning.models import ActionStatus, OutboxAction

    return (
        OutboxAction.objects.for_org(org)
        .filter(status=ActionStatus.QUEUED, not_before__gt=timezone.now())
        .count()
    )


@click.command()
@click.option("--date", "on", type=DATE, help="Act as on this day; the send window is not applied.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.option(
    "--after-go", is_flag=True, hidden=True, help="Wait for 'go' on stdin (apply's helpers)."
)
@click.pass_context
def deliver(ctx, on, as_json, after_go):
    """Send what is queued and ready, without planning: retries whose time has come, messages
    whose send window opened. Cheap enough for cron every few minutes; `arrears apply` also
    starts it as extra workers."""
    org = organisation(ctx)
    from dataclasses import asdict

    from arrears.dunning.engine import deliver_due

    if after_go and sys.stdin.readline().strip() != "go":
        return  # started early by `arrears apply`, which found too little to share
    # as on a given day the send window is not applied
    d = deliver_due(org, on or _today(org), honour_window=on is None)
    if as_json:
        sys.stdout.write(json.dumps(asdict(d)) + "\n")
        return
    out.print(f"{d.sent} sent, {d.cancelled} cancelled, {d.retrying} to retry, {d.failed} failed")
    for problem in d.problems[:20]:
        err.print(f"[red]✗[/] {esc(problem)}", markup=True)
    if d.failed or d.retrying:
        sys.exit(1)


def _decide(ctx, key, by, decision, reason, on):
    org = organisation(ctx)
    from arrears.dunning.decisions import DecisionError, decide

    by = by or _env_user()
    if not by:
        fail("say who decides: --by EMAIL (or ARREARS_USER)")
    try:
        approval = decide(
            org, key, decision, by_email=by, on=on or _today(org), reason=reason or ""
        )
    except DecisionError as exc:
        fail(str(exc))
    out.print(f"[green]✓[/] {esc(approval.key)} {approval.decision} by {esc(by)}")
    if approval.decision == "approved":
        from arrears.levers.service import what_will_run

        for line in what_will_run(org, approval.client, approval.step):
            out.print(f"  {esc(line)}")


def _env_user():
    import os

    return os.environ.get("ARREARS_USER", "")


@click.command()
@click.argument("key")
@click.option(
    "--by", help="Email of the person approving (owner or leadership). Also ARREARS_USER."
)
@click.option("--date", "on", type=DATE, help="The plan day the key comes from (default: today).")
@click.pass_context
def approve(ctx, key, by, on):
    """Approve the proposed action KEY (see `arrears plan`); the next `arrears apply` does it."""
    _decide(ctx, key, by, "approved", "", on)


@click.command()
@click.argument("key")
@click.option("--reason", required=True, help="Why not (kept with the decision).")
@click.option(
    "--by", help="Email of the person rejecting (owner or leadership). Also ARREARS_USER."
)
@click.option("--date", "on", type=DATE)
@click.pass_context
def reject(ctx, key, reason, by, on):
    """Reject the proposed action KEY: it is never done."""
    _decide(ctx, key, by, "rejected", reason, on)


def _invoice(org, number):
    from arrears.ledger.models import Invoice

    inv = Invoice.objects.for_org(org).filter(number=number).select_related("client").first()
    if inv is None:
        fail(f"no invoice {number!r}")
    return inv


@click.command()
@click.argument("invoice_number")
@click.option(
    "--until", "until", type=DATE, required=True, help="The date the client promised to pay by."
)
@click.option("--note", default="")
@click.pass_context
def promise(ctx, invoice_number, until, note):
    """Record a promise to pay: reminders pause until the date plus the policy's grace."""
    org = organisation(ctx)
    from arrears.dunning.pauses import PauseError
    from arrears.dunning.pauses import promise as make

    try:
        p = make(_invoice(org, invoice_number), until, today=_today(org), note=note)
    except PauseError as exc:
        fail(str(exc))
    out.print(
        f"[green]✓[/] {esc(invoice_number)}: promised by {p.until}; "
        "reminders pause until then plus the grace"
    )


@click.command()
@click.argument("invoice_number")
@click.option(
    "--reason",
    type=click.Choice(
        [
            "administrative",
            "missing-po",
            "wrong-entity",
            "vendor-setup",
            "cash-flow",
            "quality",
            "approval-pending",
            "other",
        ]
    ),
    required=True,
    help="Routes the internal alert: administrative ones (missing-po, wrong-entity, "
    "vendor-setup) to accounting, cash-flow to leadership, quality to the delivery lead, "
    "approval-pending to leadership on time-and-materials work (docs/exposure.md).",
)
@click.option("--note", default="")
@click.pass_context
def dispute(ctx, invoice_number, reason, note):
    """Record that the client disputes an invoice: its reminders pause until `arrears resolve`."""
    org = organisation(ctx)
    from arrears.dunning.pauses import PauseError
    from arrears.dunning.pauses import dispute as make

    try:
        make(_invoice(org, invoice_number), reason, today=_today(org), note=note)
    except PauseError as exc:
        fail(str(exc))
    out.print(f"[green]✓[/] {esc(invoice_number)} disputed ({reason}); its reminders are paused")


@click.command()
@click.argument("invoice_number")
@click.option("--note", default="", help="How it was resolved.")
@click.pass_context
def resolve(ctx, invoice_number, note):
    """End the dispute on an invoice: its reminders resume with the current step."""
    org = organisation(ctx)
    from arrears.dunning.pauses import PauseError
    from arrears.dunning.pauses import resolve as close

    try:
        close(_invoice(org, invoice_number), today=_today(org), note=note)
    except PauseError as exc:
        fail(str(exc))
    out.print(f"[green]✓[/] dispute on {esc(invoice_number)} resolved; reminders resume")


@click.command()
@click.argument("client_id")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def timeline(ctx, client_id, fmt):
    """Everything that happened with a client, in order: invoices, payments, messages sent,
    steps skipped, disputes, promises, approvals."""
    org = organisation(ctx)
    from arrears.dunning.timeline import events
    from arrears.ledger.models import Client

    client = Client.objects.for_org(org).filter(external_id=client_id).first()
    if client is None:
        fail(f"no client {client_id!r}")
    found = events(client)
    if fmt == "json":
        json.dump(
            [{"when": e.when.isoformat(), "kind": e.kind, "text": e.text} for e in found],
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        sys.stdout.write("\n")
        return
    title = esc(f"{client.name} ({client.external_id})")
    table = Table(title=title, title_justify="left")
    table.add_column("when", no_wrap=True)
    table.add_column("what", no_wrap=True)
    table.add_column("", overflow="fold")
    for e in found:
        when = (
            e.when.strftime("%Y-%m-%d %H:%M")
            if (e.when.hour or e.when.minute)
            else e.when.strftime("%Y-%m-%d")
        )
        table.add_row(when, esc(e.kind), esc(e.text))
    out.print(table)


COMMANDS = [plan, apply, deliver, approve, reject, promise, dispute, resolve, timeline]
