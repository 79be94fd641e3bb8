"""The plans' part of the day's plan (registered with `dunning.extensions.add_planner`): for
each active plan, the reminder before an instalment, and on a miss the notice to the client
and the alert to the sales owner and leadership. Keys say what each is
(`plan-reminder/C001/P3#2`), so the outbox does each once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date

from arrears.core import instalments as rules
from arrears.core.calendar import calendar_for
from arrears.core.money import format_money
from arrears.core.planner import BLOCKED, DUE, Action, ClientState, Item, People
from arrears.dunning.models import ActionStatus, OutboxAction
from arrears.ledger.models import Organisation

from .models import PaymentPlan, PlanStatus
from .service import received

TEMPLATES = {
    rules.REMINDER: ("email", "plan-reminder"),
    rules.OVERDUE: ("email", "plan-overdue"),
    rules.MISSED_ALERT: ("internal", "plan-missed"),
}


def terms_of(plan: PaymentPlan, schedule) -> rules.Terms:
    return rules.Terms(
        plan.total,
        plan.currency,
        len(schedule),
        plan.first_date,
        rules.Cadence(plan.cadence),
        plan.grace_days,
        plan.late_fee,
        rules.OnMiss(plan.on_miss),
    )


def plan_actions(org: Organisation, on: date, snap) -> list[Action]:
    plans = list(
        PaymentPlan.objects.for_org(org)
        .filter(status=PlanStatus.ACTIVE)
        .select_related("client")
        .prefetch_related("instalments", "invoices")
    )
    if not plans:
        return []
    known = set(
        OutboxAction.objects.for_org(org)
        .filter(key__startswith="plan-")
        .exclude(status=ActionStatus.CANCELLED)
        .values_list("key", flat=True)
    )
    open_invoices = {i.pk: i for i in snap.invoices}
    out: list[Action] = []
    for plan in plans:
        client = snap.clients.get(plan.client_id)
        covered = [open_invoices[i.pk] for i in plan.invoices.all() if i.pk in open_invoices]
        if client is None or not covered:
            continue  # nothing open: the plan completes with the payment that closed it
        schedule = tuple(
            rules.Instalment(i.number, i.due_date, i.amount) for i in plan.instalments.all()
        )
        terms = terms_of(plan, schedule)
        day = rules.state(terms, schedule, received(plan), on)
        business = calendar_for(client.country).is_business_day(on)
        for due in rules.due_messages(day):
            key = f"{due.kind}/{client.external_id}/{plan.label}#{due.number}"
            kind, template = TEMPLATES[due.kind]
            if key in known:
                continue
            if not business and (kind == "email" or due.kind == rules.MISSED_ALERT):
                # client-facing waits for the client's business day; so does the miss alert,
                # which voids the plan: the client hears of the miss before the ladder resumes
                continue
            out.append(_action(key, plan, client, snap.people, covered, due, day, on, terms))
    return out


def _action(key, plan, client: ClientState, people: People, covered, due, day, on, terms):
    kind, template = TEMPLATES[due.kind]
    internal = kind == "internal"
    if internal:
        to = _internal(client, people)
        cc: tuple[str, ...] = ()
    else:
        to = _contacts(client, ("billing",))
        cc = tuple(e for e in _contacts(client, ("accounting",)) if e not in to)
    step = f"{due.kind}:{plan.label}#{due.number}"
    items = tuple(
        Item(i.pk, i.number, step, i.outstanding, i.currency, i.due_date, (on - i.due_date).days)
        for i in covered
    )
    if due.kind == rules.REMINDER:
        reason = f"{plan.label} instalment {due.number} is due on {due.due}"
    else:
        reason = f"{plan.label} instalment {due.number} (due {due.due}) was missed"
    status = DUE
    if not to:
        status, reason = BLOCKED, f"{client.external_id} has no billing contact to send to"
    return Action(
        key,
        client.pk,
        client.external_id,
        due.kind,
        kind,
        "invoice",
        status,
        on,
        to,
        cc,
        items,
        reason,
        template,
        client.policy or "default",
        data=tuple(_figures(plan, client, due, day, terms, internal).items()),
    )


def _figures(plan, client: ClientState, due, day, terms, internal: bool) -> dict:
    """What the message quotes, formatted for its reader (JSON values only)."""
    loc = "en_GB" if internal else (client.language or "en").replace("-", "_")
    money = lambda v: format_money(v, plan.currency, loc)  # noqa: E731
    paid = sum((s.paid for s in day.instalments), Decimal(0))
    return {
        "plan": plan.label,
        "plan_pk": plan.pk,
        "instalment": due.number,
        "instalment_count": len(day.instalments),
        "instalment_due": format_date(due.due, format="long", locale=loc),
        "instalment_amount": money(due.amount),
        "instalment_owed": money(due.owed),
        "amount": str(due.owed),  # the raw figure, for scripts
        "currency": plan.currency,
        "plan_total": money(plan.total),
        "plan_remaining": money(plan.total - paid),
        "on_miss": terms.on_miss.value,
        "late_fee": money(terms.late_fee) if terms.late_fee else "",
        "fees_due": money(day.fees) if day.fees else "",
        "missed_count": len(day.missed),
    }


def _contacts(client: ClientState, roles: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.email for c in client.contacts if set(roles) & c.roles)


def _internal(client: ClientState, people: People) -> tuple[str, ...]:
    out = [client.sales_owner] if client.sales_owner else []
    out += [e for e in people.leadership if e not in out]
    return tuple(out) or ((people.fallback,) if people.fallback else ())
