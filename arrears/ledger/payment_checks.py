"""Money typos caught before they are booked.

A payment more than the client owes, a payment naming an invoice already settled, the same
client, amount, date and reference twice, a payment dated after today: each is a warning that
refuses the payment until a person confirms it (`arrears pay --allow-overpayment`,
`--allow-duplicate`, `--accept-warnings`; `arrears import payments --accept-warnings`). The
rules are pure (`warnings_for`) over the ledger's facts, read in a few queries (`Facts`), so
one payment typed in and a file of ten thousand are checked alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import NamedTuple

from django.db.models import Sum

from arrears.core.money import round_money
from arrears.ledger.fields import money_field
from arrears.ledger.models import (
    OPEN_STATUSES,
    Allocation,
    AllocationKind,
    Client,
    Invoice,
    Organisation,
    Payment,
)


class Typo(Enum):
    """What a warning is about, and the flag of `arrears pay` that confirms it."""

    OVERPAYMENT = "--allow-overpayment"
    SETTLED_INVOICE = "--allow-duplicate"
    DUPLICATE = "--allow-duplicate"
    FUTURE = "--accept-warnings"

    def __init__(self, flag: str):
        self.flag = flag


@dataclass(frozen=True)
class Incoming:
    """A payment about to be booked: its key facts, and where it came from in a file."""

    client: Client
    external_id: str
    on: date
    amount: Decimal
    currency: str
    reference: str
    invoices: tuple[Named, ...] = ()
    line: int | None = None


class Named(NamedTuple):
    """An invoice a payment names, with the part of the payment for it (None: all of it)."""

    invoice: Invoice
    amount: Decimal | None = None
    line: int | None = None


@dataclass(frozen=True)
class PaymentWarning:
    typo: Typo
    column: str
    message: str
    line: int | None = None


@dataclass
class Facts:
    """What the ledger says about the clients of some incoming payments."""

    today: date
    owed: dict[tuple[int, str], Decimal] = field(default_factory=dict)  # (client, cur) -> open
    booked: dict[tuple, str] = field(default_factory=dict)  # duplicate key -> payment id
    settled_by: dict[int, str] = field(default_factory=dict)  # invoice pk -> "P1 on 2026-04-01"

    @classmethod
    def read(cls, org: Organisation, incoming: list[Incoming], today: date) -> Facts:
        facts = cls(today)
        clients = {p.client.pk for p in incoming}
        if not clients:
            return facts
        open_rows = (
            Invoice.objects.for_org(org)
            .filter(client_id__in=clients, status__in=OPEN_STATUSES)
            .values("client_id", "currency")
            .annotate(
                t=Sum("total", output_field=money_field()),
                s=Sum("paid", output_field=money_field()),
                c=Sum("credited", output_field=money_field()),
                w=Sum("written_off", output_field=money_field()),
            )
        )
        for r in open_rows:
            facts.owed[r["client_id"], r["currency"]] = r["t"] - r["s"] - r["c"] - r["w"]
        days = {p.on for p in incoming}
        # a reversed payment booked again (on the right invoice, say) is no duplicate
        booked = Payment.objects.for_org(org).filter(reversed_on__isnull=True)
        for p in booked.filter(client_id__in=clients, date__in=days):
            facts.booked.setdefault(
                _key(p.client_id, p.amount, p.currency, p.date, p.reference), p.external_id
            )
        named = {n.invoice.pk for p in incoming for n in p.invoices if n.invoice.outstanding <= 0}
        if named:
            last = (
                Allocation.objects.for_org(org)
                .filter(invoice_id__in=named, kind=AllocationKind.PAYMENT)
                .select_related("payment")
                .order_by("date", "pk")
            )
            for a in last:
                facts.settled_by[a.invoice_id] = f"{a.payment.external_id} on {a.date.isoformat()}"
        return facts


def _key(client_pk, amount, currency, on, reference) -> tuple:
    return (client_pk, Decimal(amount), currency, on, reference.strip().casefold())


def warnings_for(incoming: Iterable[Incoming], facts: Facts) -> list[PaymentWarning]:
    """Every warning about `incoming`, in order; each payment is checked against the ledger
    and the payments before it."""
    found: list[PaymentWarning] = []
    seen: dict[tuple, str] = dict(facts.booked)
    owed = defaultdict(Decimal, facts.owed)
    left: dict[int, Decimal] = {}  # invoice pk -> still owed after the payments before
    for p in incoming:
        c = p.currency

        def money(value, c=c) -> str:
            return f"{round_money(value, c)} {c}"

        if p.on > facts.today:
            found.append(
                PaymentWarning(
                    Typo.FUTURE,
                    "date",
                    f"{p.external_id} is dated {p.on.isoformat()}, after today "
                    f"({facts.today.isoformat()}): money is booked when it is received",
                    p.line,
                )
            )
        key = _key(p.client.pk, p.amount, c, p.on, p.reference)
        twin = seen.get(key)
        if twin is not None:
            found.append(
                PaymentWarning(
                    Typo.DUPLICATE,
                    "reference",
                    f"{p.external_id} has the same client, amount ({money(p.amount)}), date and "
                    f"reference as payment {twin}: the same payment twice?",
                    p.line,
                )
            )
        else:
            seen[key] = p.external_id
        for inv, part, line in p.invoices:
            still = left.get(inv.pk, inv.outstanding)
            if still <= 0:
                by = facts.settled_by.get(inv.pk)
                found.append(
                    PaymentWarning(
                        Typo.SETTLED_INVOICE,
                        "invoice_number",
                        f"invoice {inv.number} is already settled"
                        f"{f' (paid by {by})' if by else ''}: the same payment again, or another "
                        "invoice?",
                        line or p.line,
                    )
                )
            left[inv.pk] = still - (part if part is not None else p.amount)
        due = owed[p.client.pk, c]
        if p.amount > due:
            found.append(
                PaymentWarning(
                    Typo.OVERPAYMENT,
                    "amount",
                    f"{p.external_id} of {money(p.amount)} is more than client "
                    f"{p.client.external_id} still owes ({money(max(due, Decimal(0)))}): "
                    f"{money(p.amount - max(due, Decimal(0)))} would become the client's credit",
                    p.line,
                )
            )
        owed[p.client.pk, c] = due - p.amount
    return found
