"""Late-payment charges where people look for them: each one in the client's timeline, and
the charges on an invoice, in a few words, for `arrears plan --explain`."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from arrears.core.money import format_money
from arrears.dunning.timeline import Event, at

from .models import Charge


def events(client) -> list[Event]:
    """Registered with the engine's timeline (`extensions.add_timeline`)."""
    out = []
    rows = Charge.objects.filter(invoice__client=client).select_related("invoice", "fee_invoice")
    for c in rows.order_by("charged_on", "pk"):
        billed = f", billed on {c.fee_invoice.number}" if c.fee_invoice_id else ""
        text = (
            f"{c.get_kind_display().lower()} of {format_money(c.amount, c.currency)} charged on "
            f"{c.invoice.number} at {c.step}{billed}"
        )
        out.append(Event(at(c.charged_on), "charge", text + (f" ({c.basis})" if c.basis else "")))
    return out


def charged(org, invoice_numbers) -> dict[str, str]:
    """invoice number -> what it has been charged, by kind: `interest £12.34, fixed
    compensation £70.00` (only the invoices that have charges)."""
    numbers = list(dict.fromkeys(invoice_numbers))
    sums: dict[str, dict[tuple[str, str], Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for i in range(0, len(numbers), 500):
        rows = Charge.objects.for_org(org).filter(invoice__number__in=numbers[i : i + 500])
        for number, kind, amount, currency in rows.values_list(
            "invoice__number", "kind", "amount", "currency"
        ):
            sums[number][(kind, currency)] += amount
    labels = dict(Charge._meta.get_field("kind").choices)
    return {
        number: ", ".join(
            f"{labels[kind].lower()} {format_money(amount, currency)}"
            for (kind, currency), amount in sorted(by_kind.items())
        )
        for number, by_kind in sums.items()
    }
