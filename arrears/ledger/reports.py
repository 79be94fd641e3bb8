"""Read-side queries that feed the pure report functions in `arrears.core`."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Count, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from arrears.core.aging import AgingReport, Credit, Receivable, age
from arrears.core.money import format_money
from arrears.ledger.fields import money_field
from arrears.ledger.models import (
    OPEN_STATUSES,
    Allocation,
    Client,
    CreditNote,
    Invoice,
    Organisation,
    Payment,
)


def org_today(organisation: Organisation) -> date:
    """Today in the organisation's time zone."""
    from zoneinfo import ZoneInfo

    return timezone.now().astimezone(ZoneInfo(organisation.timezone)).date()


def receivables(organisation: Organisation, on: date) -> list[Receivable]:
    """Each invoice issued on or before `on`, with what it still owed at the end of that day:
    its total less the allocations dated on or before `on`."""
    clients = {
        pk: (ext, name)
        for pk, ext, name in Client.objects.for_org(organisation).values_list(
            "pk", "external_id", "name"
        )
    }
    settled_by = defaultdict(Decimal)
    # Allocations dated after `on` are few for a recent date; summing those and adding them
    # back is much cheaper than summing every allocation ever made.
    later = Allocation.objects.for_org(organisation).filter(
        date__gt=on, invoice__issue_date__lte=on
    )
    for row in later.values("invoice_id").annotate(s=Sum("amount", output_field=money_field())):
        settled_by[row["invoice_id"]] = row["s"]
    candidates = (
        Invoice.objects.for_org(organisation)
        .filter(issue_date__lte=on)
        .filter(Q(status__in=OPEN_STATUSES) | Q(pk__in=later.values("invoice_id")))
    )
    out = []
    for pk, client_id, currency, due, now_owed in candidates.values_list(
        "pk", "client_id", "currency", "due_date", outstanding()
    ):
        owed = now_owed + settled_by.get(pk, Decimal(0))
        if owed > 0:
            out.append(Receivable(*clients[client_id], currency, due, owed))
    return out


def outstanding():
    # Django types INTEGER - INTEGER as a plain IntegerField; say it is still scaled money.
    return ExpressionWrapper(
        F("total") - F("paid") - F("credited") - F("written_off"), output_field=money_field()
    )


def credits(organisation: Organisation, on: date) -> list[Credit]:
    """Each client's credit at the end of `on`, per currency: what its payments and credit
    notes dated on or before `on` had not settled by then (allocations are dated on or after
    their payment). What is unallocated now, plus what was allocated only after `on`. A
    reversed payment never was anyone's credit (its allocations are gone with the reversal:
    the invoices it paid count as owed all along)."""
    left = defaultdict(Decimal)
    unspent = ExpressionWrapper(F("amount") - F("allocated"), output_field=money_field())
    for qs in (
        Payment.objects.filter(reversed_on__isnull=True),
        CreditNote.objects.all(),
    ):
        rows = (
            qs.for_org(organisation)
            .filter(date__lte=on, allocated__lt=F("amount"))
            .values("client_id", "currency")
            .annotate(s=Sum(unspent, output_field=money_field()))
        )
        for r in rows:
            left[r["client_id"], r["currency"]] += r["s"]
    later = (
        Allocation.objects.for_org(organisation)
        .filter(date__gt=on)
        .filter(Q(payment__date__lte=on) | Q(credit_note__date__lte=on))
        .values("invoice__client_id", "invoice__currency")
        .annotate(s=Sum("amount", output_field=money_field()))
    )
    for r in later:
        left[r["invoice__client_id"], r["invoice__currency"]] += r["s"]
    left = {key: amount for key, amount in left.items() if amount > 0}
    if not left:
        return []
    clients = {
        pk: (ext, name)
        for pk, ext, name in Client.objects.for_org(organisation)
        .filter(pk__in={pk for pk, _ in left})
        .values_list("pk", "external_id", "name")
    }
    return [Credit(*clients[pk], currency, amount) for (pk, currency), amount in left.items()]


def aging(organisation: Organisation, on: date) -> AgingReport:
    return age(receivables(organisation, on), on, credits(organisation, on))


def open_totals(organisation: Organisation) -> list[dict]:
    """Per currency: open invoices, outstanding and overdue today (for the home page)."""
    today = org_today(organisation)
    rows = (
        Invoice.objects.for_org(organisation)
        .filter(status__in=OPEN_STATUSES)
        .values("currency")
        .annotate(
            count=Count("pk"),
            outstanding=Sum(outstanding(), output_field=money_field()),
            overdue=Sum(outstanding(), filter=Q(due_date__lt=today), output_field=money_field()),
        )
        .order_by("currency")
    )
    out = []
    for r in rows:
        overdue = r["overdue"] or Decimal(0)
        out.append(
            {
                **r,
                "overdue": overdue,
                "outstanding_display": format_money(r["outstanding"], r["currency"]),
                "overdue_display": format_money(overdue, r["currency"]),
            }
        )
    return out
