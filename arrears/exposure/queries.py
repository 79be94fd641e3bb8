"""The exposure report's input, in a handful of flat queries (grouped in the database, never one
query per client), and the report itself with its totals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum

from arrears.core.exposure import (
    BURN_DAYS,
    FIGURES,
    Exposure,
    Terms,
    WorkHours,
    combined_limit,
    expose,
    in_force,
    totals,
)
from arrears.ledger.fields import money_field
from arrears.ledger.models import Client, Contract, Organisation, Payment, TimeEntry
from arrears.ledger.reports import receivables


@dataclass(frozen=True)
class BaseTotal:
    """The totals of every currency in the organisation's base currency, at stated rates;
    `missing` lists currencies without a rate (then there is no base total)."""

    row: Exposure | None
    rates: tuple[str, ...]  # "at 1 EUR = 0.87 GBP (2026-11-20)"
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    on: date
    rows: tuple[Exposure, ...]
    totals: tuple[Exposure, ...]
    base: BaseTotal


def hours_field():
    return TimeEntry._meta.get_field("hours").clone()


def work(org: Organisation, on: date) -> list[WorkHours]:
    """Hours per client and pair of rates: unbilled as of `on`, in the burn window, to date."""
    start = on - timedelta(days=BURN_DAYS - 1)
    unbilled = Q(invoice__isnull=True) | Q(invoice__issue_date__gt=on)
    rows = (
        TimeEntry.objects.for_org(org)
        .filter(date__lte=on)
        .values("client__external_id", "bill_rate", "cost_rate")
        .annotate(
            unbilled=Sum("hours", filter=unbilled, output_field=hours_field()),
            recent=Sum("hours", filter=Q(date__gte=start), output_field=hours_field()),
            to_date=Sum("hours", output_field=hours_field()),
        )
        .order_by()
    )
    zero = Decimal(0)
    return [
        WorkHours(
            r["client__external_id"],
            r["bill_rate"],
            r["cost_rate"],
            r["unbilled"] or zero,
            r["recent"] or zero,
            r["to_date"] or zero,
        )
        for r in rows
    ]


def terms(org: Organisation, on: date) -> list[Terms]:
    """Each client with its payments received by `on` (in its currency) and its credit limit.
    A reversed payment counts as never received."""
    received = {
        (r["client_id"], r["currency"]): r["s"]
        for r in Payment.objects.for_org(org)
        .filter(date__lte=on, reversed_on__isnull=True)
        .values("client_id", "currency")
        .annotate(s=Sum("amount", output_field=money_field()))
        .order_by()
    }
    limits: dict[int, list] = defaultdict(list)
    for client, start, end, limit in Contract.objects.for_org(org).values_list(
        "client_id", "start_date", "end_date", "credit_limit"
    ):
        if in_force(start, end, on):
            limits[client].append(limit)
    return [
        Terms(
            ext,
            name,
            currency,
            received.get((pk, currency), Decimal(0)),
            combined_limit(limits.get(pk, ())),
        )
        for pk, ext, name, currency in Client.objects.for_org(org).values_list(
            "pk", "external_id", "name", "currency"
        )
    ]


def report(
    org: Organisation, on: date, *, client_id: str | None = None, owed: list | None = None
) -> Report:
    """`owed`: the receivables as of `on` when the caller has them already (the daily plan
    reads the open invoices once, for the ladder)."""
    owed = receivables(org, on) if owed is None else owed
    rows = expose(terms(org, on), owed, work(org, on), on)
    if client_id is not None:
        rows = tuple(r for r in rows if r.client_id == client_id)
    sums = totals(rows)
    return Report(on, rows, sums, in_base(org, sums, on))


def in_base(org: Organisation, sums: tuple[Exposure, ...], on: date) -> BaseTotal:
    """The per-currency totals converted to the base currency with the organisation's rates in
    force on `on` (arrears.charges); each figure converted and rounded once."""
    base = org.base_currency
    if not sums or (len(sums) == 1 and sums[0].currency == base):
        return BaseTotal(sums[0] if sums else None, (), ())
    try:
        from arrears.charges.fx import rates_for
        from arrears.core.fx import NoRate
        from arrears.core.money import Money
    except ImportError:  # the rates work is not installed: per currency only
        return BaseTotal(None, (), tuple(s.currency for s in sums if s.currency != base))
    rates = rates_for(org, on)
    acc = dict.fromkeys(FIGURES, Decimal(0))
    limit = Decimal(0)
    stated, missing = [], []
    for s in sums:
        try:
            for f in FIGURES:
                acc[f] += rates.convert(Money(getattr(s, f), s.currency), base, on).money.amount
            if s.credit_limit is not None:
                limit += rates.convert(Money(s.credit_limit, s.currency), base, on).money.amount
            if s.currency != base:
                stated.append(rates.convert(Money(Decimal(1), s.currency), base, on).statement())
        except NoRate:
            missing.append(s.currency)
    if missing:
        return BaseTotal(None, (), tuple(missing))
    row = Exposure(None, f"Total in {base}", base, **acc, credit_limit=limit)
    return BaseTotal(row, tuple(stated), ())
