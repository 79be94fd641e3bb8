"""The written plan: the figures of an offer in the client's locale, as a PDF letter and as the
figures its email quotes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from babel import Locale
from babel.dates import format_date

from arrears.channels.base import Attachment
from arrears.channels.email.render import language_of
from arrears.channels.letter.render import render_pdf
from arrears.core.instalments import REMIND_BEFORE
from arrears.core.money import format_money
from arrears.ledger.models import Contact, ContactRole, Organisation

from .models import PaymentPlan

OFFER_OPEN_DAYS = 14
# the letter is written in the client's language (en, de, fr; others get English) with dates
# and amounts in that language's usual form: a French date in an English sentence reads as a
# mistake
LETTER_LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR"}
WORDS = {
    "en": {
        "cadence": {"month": "monthly", "2w": "every two weeks", "week": "weekly"},
        "attention": "For the attention of {name}",
        "department": "Accounts payable",
        "nobody": "Sir or Madam",
        "reference": "Payment plan {plan}",
    },
    "de": {
        "cadence": {"month": "monatlich", "2w": "alle zwei Wochen", "week": "wöchentlich"},
        "attention": "z. Hd. {name}",
        "department": "Kreditorenbuchhaltung",
        "nobody": "Damen und Herren",
        "reference": "Ratenplan {plan}",
    },
    "fr": {
        "cadence": {"month": "mensuels", "2w": "toutes les deux semaines", "week": "hebdomadaires"},
        "attention": "À l'attention de {name}",
        "department": "Comptabilité fournisseurs",
        "nobody": "Madame, Monsieur",
        "reference": "Échéancier {plan}",
    },
}


def _locale(client) -> str:
    return (client.language or "en").replace("-", "_")


def billing_contacts(client) -> list[Contact]:
    return list(
        Contact.objects.filter(client=client, role_set__role=ContactRole.BILLING)
        .order_by("email")
        .distinct()
    )


def offer_context(
    org: Organisation, plan: PaymentPlan, today: date, locale: str | None = None
) -> dict:
    """The offer's figures, formatted in `locale` (default: the client's language)."""
    client = plan.client
    loc = locale or _locale(client)
    words = WORDS[language_of(loc)]
    money = lambda v: format_money(v, plan.currency, loc)  # noqa: E731
    day = lambda d: format_date(d, format="long", locale=loc)  # noqa: E731
    short = lambda d: format_date(d, format="medium", locale=loc)  # noqa: E731
    schedule, balance = [], plan.total
    rows = list(plan.instalments.all())
    for i in rows:
        balance -= i.amount
        schedule.append(
            {
                "number": i.number,
                "due": short(i.due_date),
                "amount": money(i.amount),
                "balance": money(balance),
            }
        )
    billing = billing_contacts(client)
    attention = billing[0] if billing else None
    code = client.country[:2].upper()
    country = Locale.parse(loc).territories.get(code, code)
    name = (attention.name or attention.email) if attention else ""
    recipient = "\n".join(
        line
        for line in (
            client.name,
            words["attention"].format(name=name) if attention else "",
            words["department"],
            attention.email if attention else "",
            country,
        )
        if line
    )
    address = (org.postal_address or "").strip()
    return {
        "lang": loc[:2],
        "org_name": org.name,
        "org_address": address,
        "org_address_line": ", ".join(
            line.strip() for line in address.splitlines() if line.strip()
        ),
        "org_email": org.accounts_email,
        "bank": org.bank.lines(loc[:2]),  # where to pay: in the letter and its footer
        "bank_line": org.bank.line(loc[:2]),
        "recipient": recipient,
        "greeting": (attention.name if attention and attention.name else words["nobody"]),
        "client_name": client.name,
        "client_id": client.external_id,
        "date": day(today),
        "reference": f"{words['reference'].format(plan=plan.label)} · {client.external_id}",
        "plan": plan.label,
        "total": money(plan.total),
        "count": len(rows),
        "cadence_words": words["cadence"].get(plan.cadence, plan.cadence),
        "first_date": day(plan.first_date),
        "first_amount": money(rows[0].amount) if rows else "",
        "invoices": [
            {
                "number": inv.number,
                "issue_date": short(inv.issue_date),
                "due_date": short(inv.due_date),
                "outstanding": money(inv.outstanding),
            }
            for inv in plan.invoices.order_by("due_date", "number")
        ],
        "schedule": schedule,
        "remind_before": REMIND_BEFORE,
        "grace_days": plan.grace_days,
        "late_fee": money(plan.late_fee) if plan.late_fee > Decimal(0) else "",
        "on_miss": plan.on_miss,
        "offer_until": day(today + timedelta(days=OFFER_OPEN_DAYS)),
        "signed_by": plan.created_by,
    }


def offer_pdf(org: Organisation, plan: PaymentPlan, today: date) -> bytes:
    lang = language_of(plan.client.language)
    ctx = offer_context(org, plan, today, LETTER_LOCALES[lang])
    return render_pdf("plan-offer", ctx, language=lang)


def filename(plan: PaymentPlan) -> str:
    return f"payment-plan-{plan.label}-{plan.client.external_id}.pdf"


def attachment(org: Organisation, action, on: date) -> Attachment:
    """The offer's PDF for the outbox action that sends it (`data["plan_pk"]`)."""
    plan = PaymentPlan.objects.for_org(org).select_related("client").get(pk=action.data["plan_pk"])
    return Attachment(filename(plan), offer_pdf(org, plan, on))
