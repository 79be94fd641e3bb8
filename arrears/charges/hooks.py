"""Where the charges app plugs into the engine.

- The messages of the steps the policy marks `charges: true` (in the default ladder
  `late-notice` and `final-demand`) quote each invoice's interest and fixed compensation (or
  the contract's late fee) as of the day they are composed; a step with `pay_within_days` (the
  final demand) also states the claim, invoice by invoice.
- When one of those steps is performed for an invoice (`step_performed`, inside the
  transaction that marks the message sent), what is due is charged as its own debit: a
  `Charge` row per kind, unique per invoice, kind and step, so a step is never charged twice.
  Interest charged at an earlier step is not charged again (the final demand charges what
  accrued since the late notice); the fee or compensation is charged once per invoice.
  The organisation's setting (`arrears org set charge-as`; else `ARREARS_CHARGE_AS`) says
  how: `interest-line` (the default: the Charge rows are the lines, listed with the invoice),
  `fee-invoice` (they are also billed on an invoice of their own, `<number>-F1`, same client,
  due that day) or `none` (quoted, never charged).
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from django.db import IntegrityError, transaction
from django.db.models import Sum

from arrears.core.basis import cited
from arrears.core.money import format_money
from arrears.env import ConfigError, env_str

log = logging.getLogger(__name__)

CHARGE_AS = ("interest-line", "fee-invoice", "none")  # the values of ledger's ChargeAs


def charge_as(org=None) -> str:
    """How charges are recorded: the organisation's own setting, else ARREARS_CHARGE_AS."""
    if org is not None and org.charge_as:
        return org.charge_as
    return default_charge_as()


def default_charge_as() -> str:
    value = env_str("ARREARS_CHARGE_AS", "interest-line").strip().lower()
    if value not in CHARGE_AS:
        raise ConfigError(f"ARREARS_CHARGE_AS={value!r}: expected one of {', '.join(CHARGE_AS)}")
    return value


def register() -> None:
    from arrears.dunning.extensions import add_context
    from arrears.dunning.signals import step_performed
    from arrears.ledger.guards import add_debit_kinds
    from arrears.ledger.settlement import allocation_order

    from .claims import day_count

    # a malformed setting stops the program at start, with its name
    default_charge_as(), day_count(), allocation_order()

    add_context(quote)
    step_performed.connect(charge, dispatch_uid="arrears.charges.charge")
    add_debit_kinds("fee-invoices", FeeInvoices())


class FeeInvoices:
    """Fee invoices are debits of kind `fees` (a late fee or fixed compensation on them) or
    `interest` (interest only), for the allocation order."""

    def kinds(self, org, invoice_pks) -> dict[int, str]:
        from .models import Charge, ChargeKind

        pks, found = list(invoice_pks), {}
        for i in range(0, len(pks), 500):
            rows = Charge.objects.for_org(org).filter(fee_invoice_id__in=pks[i : i + 500])
            for pk, kind in rows.values_list("fee_invoice_id", "kind"):
                if kind != ChargeKind.INTEREST or pk not in found:
                    found[pk] = "interest" if kind == ChargeKind.INTEREST else "fees"
        return found


def _claims(invoices, on: date):
    from .claims import claim_for

    for invoice in invoices:
        try:
            found = claim_for(invoice, on)
        except LookupError:  # a reference rate is missing: say nothing rather than guess
            continue
        if found is not None and (found.interest_total or found.compensation):
            yield invoice, found


def charged_steps(policy) -> frozenset[str]:
    """The ids of the policy's steps that charge (`charges: true`)."""
    return frozenset(s.id for s in policy.steps if s.charges) if policy else frozenset()


def _policy_of(org, action):
    if not action.policy:
        return None
    from arrears.dunning.policy_store import load_policies

    return load_policies(org).get(action.policy)


def quote(org, action, invoices, on: date, policy=None) -> dict:
    """`late_charges` (one entry per invoice) and `charges_basis` for a step that charges; for
    a demand (`pay_within_days`) also the claim itself (`claim_rows`, `claim_total`): each
    invoice's principal, interest and fixed sum with its basis, and what they add up to."""
    sid = action.step.removesuffix("-alert")
    if policy is None or sid not in policy.ranks or not invoices:
        return {}
    step = policy.step(sid)
    if not step.charges:
        return {}
    from arrears.channels.email.render import language_of

    if action.pk:  # a consolidated message: only the invoices at a charged step
        at_step = _at_step(action, charged_steps(policy))
        invoices = [i for i in invoices if i.pk in at_step]
    lang = language_of(action.client.language)
    lines, bases = [], []
    claims = dict(_claims(invoices, on))
    for invoice, claim in claims.items():
        rates = sorted({p.annual_rate_pct for p in claim.periods})
        lines.append(
            {
                "number": invoice.number,
                "interest": format_money(claim.interest_total, claim.currency, lang),
                "rates": " / ".join(_pct(r, lang) for r in rates),
                "start": format_date(claim.start, format="long", locale=lang),
                "fixed": format_money(claim.compensation, claim.currency, lang)
                if claim.compensation
                else "",
                "contractual": claim.contractual,
            }
        )
        basis = cited(claim.grounds, lang) if claim.grounds else claim.basis
        if basis not in bases:
            bases.append(basis)
    out = {}
    if lines:
        out = {
            "late_charges": lines,
            "charges_date": format_date(on, format="long", locale=lang),
            "charges_basis": (" ; " if lang == "fr" else "; ").join(bases),
        }
    if step.pay_within_days and invoices:
        out.update(claim_table(invoices, claims, on, lang, action.client.language or lang))
    return out


CLAIM_WORDS = {
    "en": {
        "interest": "Interest at {rates} a year from {start}",
        "fee": "Late fee",
        "compensation": "Fixed compensation",
        "and": " and ",
    },
    "de": {
        "interest": "Verzugszinsen zu {rates} p. a. ab {start}",
        "fee": "Vertragliche Verzugsgebühr",
        "compensation": "Verzugspauschale",
        "and": " und ",
    },
    "fr": {
        "interest": "Intérêts de retard au taux de {rates} l'an à compter du {start}",
        "fee": "Pénalité de retard contractuelle",
        "compensation": "Indemnité forfaitaire pour frais de recouvrement",
        "and": " et ",
    },
}


def claim_table(invoices, claims: dict, on: date, lang: str, locale: str) -> dict:
    """What a letter before action claims, invoice by invoice: the principal still unpaid,
    the interest and the fixed sum (with the clause or law they rest on), and the total per
    currency (never added across currencies). Words in `lang`, figures and dates as `locale`
    writes them (the client's, as in the rest of the message)."""
    w = CLAIM_WORDS.get(lang, CLAIM_WORDS["en"])
    money = lambda v, c: format_money(v, c, locale)  # noqa: E731
    day = lambda d: format_date(d, format="long", locale=locale)  # noqa: E731
    rows, totals = [], {}
    for invoice in invoices:
        claim = claims.get(invoice)
        principal, currency = invoice.outstanding, invoice.currency
        interest = claim.interest_total if claim else Decimal(0)
        fixed = claim.compensation if claim else Decimal(0)
        total = principal + interest + fixed
        totals[currency] = totals.get(currency, Decimal(0)) + total
        rates = sorted({p.annual_rate_pct for p in claim.periods}) if claim else []
        rows.append(
            {
                "number": invoice.number,
                "due_date": day(invoice.due_date),
                "principal": money(principal, currency),
                "interest": money(interest, currency) if interest else "",
                "interest_label": w["interest"].format(
                    rates=" / ".join(_pct(r, lang) for r in rates),
                    start=day(claim.start),
                )
                if interest
                else "",
                "fixed": money(fixed, currency) if fixed else "",
                "fixed_label": (w["fee"] if claim.contractual else w["compensation"])
                if fixed
                else "",
                "total": money(total, currency),
                "basis": (cited(claim.grounds, lang) if claim.grounds else claim.basis)
                if claim
                else "",
            }
        )
    return {
        "claim_rows": rows,
        "claim_total": w["and"].join(money(v, c) for c, v in sorted(totals.items())),
        "claim_date": day(on),
    }


def _pct(value: Decimal, lang: str = "en") -> str:
    """A yearly rate with at least two decimals, as written in `lang`: `10.27%`, `10,27 %`."""
    shown = str(value.quantize(Decimal("0.01")) if value.as_tuple().exponent > -2 else value)
    return f"{shown}%" if lang == "en" else f"{shown.replace('.', ',')}\u00a0%"


def _at_step(
    action, charged: frozenset[str], steps: dict[int, str] | None = None
) -> dict[int, str]:
    """invoice id -> its charged step, from what the deliverer says was performed (else from
    the action's items)."""
    if steps is not None:
        return {inv: s for inv, s in steps.items() if s in charged}
    from arrears.dunning.models import OutboxItem

    items = OutboxItem.objects.filter(action=action, skipped=False, step__in=charged)
    return dict(items.values_list("invoice_id", "step"))


def charge(
    sender,
    organisation,
    action,
    invoices,
    message=None,
    on=None,
    steps=None,
    **kwargs,
) -> None:
    """Charge the invoices of `action` that are at a step of its policy that charges (the
    deliverer sends the policy along; a sender without it at hand leaves it to be loaded)."""
    mode = charge_as(organisation)
    if mode == "none" or on is None:
        return
    policy = kwargs["policy"] if "policy" in kwargs else _policy_of(organisation, action)
    charged = charged_steps(policy)
    if not charged:
        return
    at_step = _at_step(action, charged, steps)
    if not at_step:
        return
    chosen = [i for i in invoices if i.pk in at_step]
    for invoice, claim in _claims(chosen, on):
        try:
            with transaction.atomic():  # a savepoint per invoice
                _charge_invoice(organisation, invoice, claim, at_step[invoice.pk], on, mode)
        except Exception:  # noqa: BLE001 - the message is out: failing here would send it again
            log.exception("charging %s at %s failed; nothing was charged", invoice.number, on)


def _charge_invoice(org, invoice, claim, step: str, on: date, mode: str) -> None:
    from .models import Charge, ChargeKind

    earlier = Charge.objects.for_org(org).filter(invoice=invoice).exclude(step=step)
    interest = claim.interest_total - (
        earlier.filter(kind=ChargeKind.INTEREST).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    )
    fixed_kind = ChargeKind.FEE if claim.contractual else ChargeKind.COMPENSATION
    fixed = Decimal(0) if earlier.filter(kind=fixed_kind).exists() else claim.compensation
    made = []
    for kind, amount in ((ChargeKind.INTEREST, interest), (fixed_kind, fixed)):
        if amount <= 0:
            continue
        try:
            with transaction.atomic():  # a savepoint: a second call for the step finds the row
                row, created = Charge.objects.get_or_create(
                    organisation=org,
                    invoice=invoice,
                    kind=kind,
                    step=step,
                    defaults={
                        "amount": amount,
                        "currency": claim.currency,
                        "charged_on": on,
                        "basis": claim.basis,
                    },
                )
        except IntegrityError:  # charged by a concurrent worker just now
            continue
        if created:
            made.append(row)
    if made and mode == "fee-invoice":
        _fee_invoice(org, invoice, made, on)


def _fee_invoice(org, invoice, charges, on: date) -> None:
    from arrears.ledger.models import Invoice, InvoiceLine

    from .models import Charge

    billed = Charge.objects.for_org(org).filter(invoice=invoice, fee_invoice__isnull=False)
    n = billed.values("fee_invoice").distinct().count() + 1
    words = {
        "interest": "Late-payment interest",
        "fee": "Late fee",
        "compensation": "Fixed compensation",
    }
    total = sum((c.amount for c in charges), Decimal(0))
    fee = Invoice.objects.create(
        organisation=org,
        client_id=invoice.client_id,
        contract_id=invoice.contract_id,
        number=f"{invoice.number}-F{n}",
        issue_date=on,
        due_date=on,
        currency=invoice.currency,
        total=total,
        description=f"Late-payment charges on invoice {invoice.number}",
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=fee,
                position=i,
                description=f"{words[c.kind]} on {invoice.number} ({c.step}, {on.isoformat()})",
                unit_price=c.amount,
                amount=c.amount,
            )
            for i, c in enumerate(charges, start=1)
        ]
    )
    Charge.objects.filter(pk__in=[c.pk for c in charges]).update(fee_invoice=fee)
