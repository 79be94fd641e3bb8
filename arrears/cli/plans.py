"""Verbs for payment plans: plan-offer, plan-accept, plan-void, plans."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import click
from rich.table import Table

from .common import DATE, esc, fail, organisation, out

EVERY = {"month": "month", "2w": "2w", "week": "week"}


def _today(org):
    from arrears.ledger.reports import org_today

    return org_today(org)


def _by(by: str | None) -> str:
    return by or os.environ.get("ARREARS_USER", "")


def _staff(org, email: str) -> None:
    """Plans are recorded by the organisation's owner, leadership, accounting or sales people."""
    from arrears.ledger.models import Membership, Role

    role = (
        Membership.objects.filter(organisation=org, user__email__iexact=email)
        .values_list("role", flat=True)
        .first()
    )
    if role not in (Role.OWNER, Role.LEADERSHIP, Role.ACCOUNTING, Role.SALES):
        fail(
            f"{email} is {role or 'not a member'} here; plans are recorded by the owner, "
            "leadership, accounting or sales"
        )


def _money(value: str) -> Decimal:
    from arrears.core.parsing import Invalid, check_amount_size, parse_decimal

    try:
        return check_amount_size(parse_decimal(value, what="late fee"), value)
    except Invalid as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("plan-offer")
@click.argument("client_id")
@click.option(
    "--instalments",
    "count",
    type=click.IntRange(1, 120),
    required=True,
    help="How many instalments.",
)
@click.option(
    "--first",
    type=DATE,
    required=True,
    help="Date of the first instalment (due before work continues).",
)
@click.option(
    "--invoices",
    default="",
    help="Invoice numbers to cover, comma-separated (default: every open invoice).",
)
@click.option(
    "--every",
    "cadence",
    type=click.Choice(list(EVERY)),
    default="month",
    show_default=True,
    help="Cadence of the instalments.",
)
@click.option("--late-fee", default="0", help="Late fee per missed instalment (default: none).")
@click.option(
    "--on-miss",
    type=click.Choice(["void", "stop-work"]),
    default="void",
    show_default=True,
    help="void: a miss ends the plan and the ladder resumes; stop-work: a miss asks "
    "for a work stoppage.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the PDF (default: payment-plan-P<n>-<client>.pdf here).",
)
@click.option(
    "--send",
    is_flag=True,
    help="Queue the offer email, PDF attached, to the billing contacts (cc accounting).",
)
@click.option("--by", help="Your email, recorded on the plan. Also ARREARS_USER.")
@click.option("--date", "on", type=DATE, help="The date of the offer (default: today).")
@click.pass_context
def plan_offer(
    ctx, client_id, count, first, invoices, cadence, late_fee, on_miss, output, send, by, on
):
    """Draft a written payment plan for CLIENT_ID: the schedule, an email and a PDF to accept.

    The plan covers the client's open invoices (or --invoices) and splits their outstanding
    total into equal instalments; the last takes the rounding remainder. Nothing pauses until
    the plan is accepted (`arrears plan-accept`).
    """
    org = organisation(ctx)
    from django.db import transaction

    from arrears.ledger.models import Client
    from arrears.plans import letters, service
    from arrears.plans.offering import queue_offer

    client = Client.objects.for_org(org).filter(external_id=client_id).first()
    if client is None:
        fail(f"no client {client_id!r}")
    by = _by(by)
    if by:
        _staff(org, by)
    numbers = [n.strip() for n in invoices.split(",") if n.strip()] or None
    today = on or _today(org)
    fee = _money(late_fee)
    try:
        # all or nothing: a plan that cannot be sent (no billing contact) is not drafted
        with transaction.atomic():
            plan = service.draft(
                org,
                client,
                count=count,
                first=first,
                today=today,
                numbers=numbers,
                cadence=cadence,
                late_fee=fee,
                on_miss=on_miss,
                by=by,
            )
            action = queue_offer(org, plan, today) if send else None
            path = output or Path(letters.filename(plan))
            # written before the plan is kept: a file that cannot be written leaves no plan
            path.write_bytes(letters.offer_pdf(org, plan, today))
    except service.PlanError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{exc.filename}: {exc.strerror or exc}; no plan was drafted")
    _show(plan)
    out.print(
        f"[green]✓[/] {plan.label} drafted for {esc(client.external_id)}; "
        f"the written plan is in {esc(str(path))}"
    )
    if action is not None:
        queued = esc(f"{action.key} to {', '.join(action.to)}")
        out.print(f"  queued {queued}; `arrears deliver` sends it")
    out.print(f"  once the client accepts: arrears plan-accept {plan.label} --by EMAIL")


@click.command("plan-accept")
@click.argument("plan_id", metavar="PLAN")
@click.option("--by", help="Your email: who records the acceptance. Also ARREARS_USER.")
@click.option("--note", default="", help="How the client accepted (reply, signed copy).")
@click.pass_context
def plan_accept(ctx, plan_id, by, note):
    """Record that the client accepted PLAN (e.g. P3): its invoices leave the ladder and the
    plan's own reminders start."""
    org = organisation(ctx)
    from django.utils import timezone

    from arrears.plans import service

    by = _by(by)
    if not by:
        fail("say who records the acceptance: --by EMAIL (or ARREARS_USER)")
    _staff(org, by)
    try:
        plan = service.find(org, plan_id)
        service.accept(plan, by=by, now=timezone.now())
    except service.PlanError as exc:
        fail(str(exc))
    plan.refresh_from_db()
    out.print(
        f"[green]✓[/] {plan.label} is {plan.status}: {plan.invoices.count()} invoice(s) leave "
        "the ladder while it is kept"
    )


@click.command("plan-void")
@click.argument("plan_id", metavar="PLAN")
@click.option("--reason", required=True, help="Why the plan ends (kept in its history).")
@click.option("--by", help="Your email. Also ARREARS_USER.")
@click.pass_context
def plan_void(ctx, plan_id, reason, by):
    """End PLAN by hand. An active plan is voided: the ladder resumes for its invoices at the
    next run. A draft or offered plan is withdrawn: it can no longer be accepted, and its offer
    email is cancelled if it has not gone out yet."""
    org = organisation(ctx)
    from arrears.plans import service
    from arrears.plans.models import PlanStatus

    by = _by(by)
    if not by:
        fail("say who ends the plan: --by EMAIL (or ARREARS_USER)")
    _staff(org, by)
    try:
        plan = service.find(org, plan_id)
        was, cancelled = service.void(plan, f"{reason} ({by})", _today(org))
    except service.PlanError as exc:
        fail(str(exc))
    if was == PlanStatus.ACTIVE:
        out.print(f"[green]✓[/] {plan.label} voided; the reminders resume for its invoices")
        return
    what = "a draft" if was == PlanStatus.DRAFT else "offered"
    out.print(f"[green]✓[/] {plan.label} withdrawn (it was {what}); it can no longer be accepted")
    if cancelled:
        out.print("  its offer email, not sent yet, is cancelled")
    elif was == PlanStatus.OFFERED:
        out.print("  the client has the offer: tell them it is withdrawn")


@click.command("plans")
@click.option("--client", "client_id", help="Only this client's plans.")
@click.option("--status", type=click.Choice(["draft", "offered", "active", "completed", "voided"]))
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def plans(ctx, client_id, status, fmt):
    """List payment plans with their instalments: paid, due, missed."""
    org = organisation(ctx)
    from arrears.plans.models import PaymentPlan

    qs = (
        PaymentPlan.objects.for_org(org)
        .select_related("client")
        .prefetch_related("instalments", "invoices")
    )
    if client_id:
        qs = qs.filter(client__external_id=client_id)
    if status:
        qs = qs.filter(status=status)
    rows = list(qs)
    if fmt == "json":
        click.echo(json.dumps([_json(p) for p in rows], indent=2))
        return
    if not rows:
        out.print("no payment plans")
        return
    for p in rows:
        _show(p)


def _json(p) -> dict:
    from arrears.core.money import round_money

    def fig(v) -> str:
        return str(round_money(v, p.currency))

    return {
        "plan": p.label,
        "client_id": p.client.external_id,
        "status": p.status,
        "total": fig(p.total),
        "currency": p.currency,
        "cadence": p.cadence,
        "on_miss": p.on_miss,
        "late_fee": fig(p.late_fee),
        "invoices": sorted(i.number for i in p.invoices.all()),
        "accepted_by": p.accepted_by,
        "accepted_at": p.accepted_at.isoformat() if p.accepted_at else None,
        "accepted_how": p.accepted_how,
        "closed_on": p.closed_on.isoformat() if p.closed_on else None,
        "closed_reason": p.closed_reason,
        "instalments": [
            {
                "number": i.number,
                "due_date": i.due_date.isoformat(),
                "amount": fig(i.amount),
                "paid": fig(i.paid),
            }
            for i in p.instalments.all()
        ],
    }


def _show(p) -> None:
    from arrears.core.money import format_money

    money = lambda v: format_money(v, p.currency, "en_GB")  # noqa: E731
    title = (
        f"{p.label} · {esc(p.client.external_id)} {esc(p.client.name)} · {p.status} · "
        f"{money(p.total)} · "
        f"every {p.cadence} · on miss: {p.on_miss}"
        + (f" · late fee {money(p.late_fee)}" if p.late_fee else "")
    )
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("due")
    table.add_column("amount", justify="right")
    table.add_column("paid", justify="right")
    for i in p.instalments.all():
        table.add_row(str(i.number), i.due_date.isoformat(), money(i.amount), money(i.paid))
    out.print(table)
    out.print(f"  invoices: {esc(', '.join(sorted(i.number for i in p.invoices.all())))}")


COMMANDS = [plan_offer, plan_accept, plan_void, plans]
