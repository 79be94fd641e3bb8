"""Turning a due action into the message a person reads: recipients, words in their language,
amounts and dates in their locale (Babel), and the headers that thread it in their mail reader."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from email.utils import make_msgid
from functools import cache, lru_cache

from babel.dates import format_date
from django.conf import settings

from arrears.channels.base import Outgoing
from arrears.channels.email import sender
from arrears.channels.email.attachments import for_action
from arrears.channels.email.render import label, language_of, render
from arrears.core.calendar import calendar_for
from arrears.core.money import format_money
from arrears.core.policy import CLAUSES, Policy, Step
from arrears.core.steps import next_client_step
from arrears.dunning import extensions
from arrears.dunning.letters import letter
from arrears.dunning.models import OutboxAction
from arrears.dunning.outcome import outcome
from arrears.ledger.models import Client, Invoice, Organisation, TimeEntry

WORDS = {
    "en": {
        "up_to": "up to {n}",
        "day": "{n} day",
        "days": "{n} days",
        "up_to_days": "up to {n} days",
        "invoice": "Invoice",
        "invoices": "Invoices",
        "the_invoice": "invoice",
        "the_invoices": "invoices",
        "and": "and",
        "team": "accounts team",
    },
    "de": {
        "up_to": "bis zu {n}",
        "day": "{n} Tag",
        "days": "{n} Tage",
        "up_to_days": "bis zu {n} Tage",
        "invoice": "Rechnung",
        "invoices": "Rechnungen",
        "the_invoice": "die Rechnung",
        "the_invoices": "die Rechnungen",
        "and": "und",
        "team": "Buchhaltungsteam",
    },
    "fr": {
        "up_to": "jusqu'à {n}",
        "day": "{n} jour",
        "days": "{n} jours",
        "up_to_days": "jusqu'à {n} jours",
        "invoice": "Facture",
        "invoices": "Factures",
        "the_invoice": "la facture",
        "the_invoices": "les factures",
        "and": "et",
        "team": "service comptable",
    },
}


@lru_cache(maxsize=4096)  # a run's messages speak of a few hundred distinct days
def day_text(day: date, form: str, locale: str) -> str:
    return format_date(day, format=form, locale=locale)


@lru_cache(maxsize=4096)  # a lone invoice's amount is also the total and the table's total
def money_text(amount: Decimal, currency: str, locale: str) -> str:
    return format_money(amount, currency, locale)


def _join(words: list[str], conj: str) -> str:
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conj} {words[-1]}"


def context(
    org: Organisation,
    client: Client,
    action: OutboxAction,
    invoices: list[Invoice],
    policy: Policy | None,
    on: date,
    contacts: list[tuple[str, str]] = (),
) -> dict:
    internal = action.kind in ("internal", "recommendation")
    lang = "en" if internal else language_of(client.language)
    locale = (client.language or "en") if not internal else "en_GB"
    w = WORDS[lang]
    fmt_date = lambda d: day_text(d, "long", locale)  # noqa: E731
    short = lambda d: day_text(d, "medium", locale)  # noqa: E731
    items = [
        {
            "number": i.number,
            "issue_date": short(i.issue_date),
            "due_date": short(i.due_date),
            "days_overdue": (on - i.due_date).days,
            "outstanding": money_text(i.outstanding, i.currency, locale),
            "description": i.description,
        }
        for i in invoices
    ]
    # A message about overdue invoices speaks of those; an invoice not yet due that is
    # consolidated into it is listed, and named as not yet due.
    step = policy.step(action.step) if policy and action.step in policy.ranks else None
    before_due = step is not None and step.offset_days <= 0  # the courtesy and due reminders
    late = [i for i in invoices if i.due_date < on]
    focus = late if late and not before_due else invoices
    rest = [i.number for i in invoices if i not in focus]
    numbers = [f"#{i.number}" for i in focus]
    owed = _sums(focus)
    oldest = max(((on - i.due_date).days for i in focus), default=0)
    greeting = (
        next((name for email, name in contacts if name and email in action.to), "") or w["team"]
    )
    ctx = {
        "org_name": org.name,
        "accounts_email": org.accounts_email,
        "client_name": client.name,
        "client_id": client.external_id,
        "greeting": greeting,
        "single": len(focus) == 1,
        "items": items,
        "first": items[invoices.index(focus[0])] if focus else None,
        "invoice_label": f"{w['invoice'] if len(numbers) == 1 else w['invoices']} {', '.join(numbers)}"
        if focus
        else "",
        "the_invoices": f"{w['the_invoice'] if len(numbers) == 1 else w['the_invoices']} "
        f"{_join([i.number for i in focus], w['and'])}"
        if focus
        else "",
        "not_yet_due": _join(rest, w["and"]),
        "reference": ", ".join(i.number for i in focus),  # what a payment should quote
        "due_date": fmt_date(focus[0].due_date) if focus else "",
        # the wording follows the days overdue on the day the message goes out, whatever
        # step it is for: a `due` reminder sent after a weekend says how late it is
        "days_overdue": oldest,
        "overdue": oldest > 0,
        "due_today": oldest == 0,
        "late_by": str(oldest) if len(focus) == 1 else w["up_to"].format(n=oldest),
        "late_days": _days(oldest, len(focus) == 1, w),
        "total": _join([money_text(v, c, locale) for c, v in sorted(owed.items())], w["and"]),
        "table_total": _join(
            [money_text(v, c, locale) for c, v in sorted(_sums(invoices).items())], w["and"]
        ),
        "services": _join(sorted({i.description for i in focus}), w["and"])
        if focus and all(i.description for i in focus)
        else "",
        "today": fmt_date(on),
        "sales_owner": client.sales_owner_email,
        "delivery_lead": client.delivery_lead_email,
        "alerted_step": action.step.removesuffix("-alert"),
        # asked of the database (once) only by a template that names the team held for them
        "resources": cache(lambda: _resources(client, on, w["and"])),
        "bank": [] if internal else org.bank.lines(lang),
    }
    if step is not None and step.pay_within_days:  # a demand: the date to pay by, a business day
        ctx["deadline_days"] = step.pay_within_days
        ctx["deadline"] = fmt_date(
            calendar_for(client.country).on_or_after(on + timedelta(days=step.pay_within_days))
        )
    step_id = action.step.removesuffix("-alert")
    if policy is not None and invoices:
        nxt = _next_step(policy, step_id, invoices[0], client, on)
        if nxt:
            ctx["next_step_label"] = label(nxt[0].template, lang) or nxt[0].id
            ctx["next_step_date"] = fmt_date(nxt[1])
    return ctx


def _days(n: int, single: bool, w: dict[str, str]) -> str:
    """`1 day`, `3 days`, `up to 3 days` in the reader's language."""
    if not single:
        return w["up_to_days"].format(n=n)
    return w["day" if n == 1 else "days"].format(n=n)


def _sums(invoices) -> dict[str, Decimal]:
    """Outstanding per currency (never added across currencies)."""
    owed: dict[str, Decimal] = defaultdict(Decimal)
    for i in invoices:
        owed[i.currency] += i.outstanding
    return owed


def _resources(client: Client, on: date, conj: str) -> str:
    """The people who worked for the client in the last 30 days: the team held for them."""
    names = (
        TimeEntry.objects.filter(client=client, date__gt=on - timedelta(days=30), date__lte=on)
        .order_by("person")
        .values_list("person", flat=True)
        .distinct()
    )
    names = list(names[:6])
    return _join(names, conj) if names else ""


def _next_step(
    policy: Policy, step_id: str, invoice: Invoice, client: Client, on: date
) -> tuple[Step, date] | None:
    """The client-facing step after `step_id` and its date, if the contract allows it: the one
    step-date rule of the planner (`core.steps`), with the policy of the action."""
    clauses = set()
    if invoice.contract_id:
        c = invoice.contract
        clauses = {n for n in CLAUSES if getattr(c, n)}
    nxt = next_client_step(
        policy, step_id, invoice.due_date, calendar_for(client.country), on, clauses
    )
    return None if nxt is None else (nxt.step, nxt.on)


def compose(
    org: Organisation,
    action: OutboxAction,
    invoices: list[Invoice],
    policy: Policy | None,
    on: date,
    extra: dict | None = None,
    *,
    contacts: list[tuple[str, str]] = (),
    references: list[str] = (),
) -> Outgoing:
    """The message for `action` about `invoices` (as they are now), threaded under the earlier
    messages about them (`references`, oldest first); `contacts` are the client's (email, name)."""
    client = action.client
    internal = action.kind in ("internal", "recommendation")
    ctx = context(org, client, action, invoices, policy, on, contacts)
    ctx.update(extensions.context_for(org, action, invoices, on, policy))  # other apps' figures
    ctx.update(extra or {})
    if action.template == "step-alert":  # what became of the message it is about
        ctx.update(outcome(org, action, ctx, on))
    subject, text, html = render(action.template, ctx, language=client.language, internal=internal)
    headers = {"Message-ID": make_msgid(domain=_domain()), "X-Arrears-Key": action.key}
    if references and not internal:
        headers["In-Reply-To"] = references[-1]
        headers["References"] = " ".join(references)
    from_email = sender(org.name, settings.DEFAULT_FROM_EMAIL)
    attachments = for_action(org, action, on)
    if action.kind == "letter":  # the final demand: the message as a letter, in PDF
        attachments += (letter(org, action, invoices, subject, html, on, contacts),)
    return Outgoing(
        subject,
        text,
        html,
        from_email,
        tuple(action.to),
        tuple(action.cc),
        org.accounts_email,
        headers,
        attachments,
    )


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "arrears.localhost"
