"""What the escalation work adds to the day's plan (extensions.add_planner): stand-down
recommendations, exposure alerts, approvals that have waited too long.

Keys say what each alert is about, never when it was planned, so the outbox sends each once:
- `stand-down/<client>/<episode>`: exposure reached the credit limit or an invoice passed its
  contract's stop-work threshold (to leadership, the sales owner and the delivery lead);
- `exposure-threshold/<client>/<currency>/<episode>`: exposure reached the organisation's own
  threshold (same people);
- `approval-waiting/<approval key>`: an action has waited for an approval since an earlier
  day's run (to leadership and the sales owner).
The episode is the oldest debt open when the client went over the line (core.escalation.episode).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Min, Q, Sum

from arrears.core import escalation
from arrears.core.aging import Receivable
from arrears.core.exposure import Exposure, expose
from arrears.core.planner import DUE, Action
from arrears.dunning.models import ActionStatus, Approval, OutboxAction
from arrears.ledger.fields import money_field
from arrears.ledger.models import (
    OPEN_STATUSES,
    Allocation,
    Client,
    Contract,
    Invoice,
    Organisation,
    TimeEntry,
)
from arrears.ledger.reports import outstanding, receivables

from .models import ApprovalWait, Threshold
from .queries import terms, work

KIND = "escalation"


def plan(org: Organisation, on: date, snap) -> list[Action]:
    thresholds = {c: a for c, a in Threshold.objects.for_org(org).values_list("currency", "amount")}
    late = _late_invoices(org, snap, on)
    rows = _exposures(org, on, thresholds, late)
    people = snap.people
    actions: list[Action] = []
    alerts = [(row, escalation.stand_down(row, late.get(row.client_id, ()))) for row in rows]
    alerts = [
        (row, rec) for row, rec in alerts if rec or escalation.over_threshold(row, thresholds)
    ]
    waits = ApprovalWait.objects.for_org(org).filter(since__lt=on)
    if not alerts and not waits.exists():
        return []  # the usual day: no client over a line, no approval kept waiting
    clients = {
        ext: (pk, sales, lead)
        for pk, ext, sales, lead in Client.objects.for_org(org).values_list(
            "pk", "external_id", "sales_owner_email", "delivery_lead_email"
        )
    }
    anchors = _episodes(org, on, {clients[row.client_id][0] for row, _ in alerts})
    for row, rec in alerts:
        pk, sales, lead = clients[row.client_id]
        to = escalation.recipients(
            ("leadership", "sales_owner", "delivery_lead"),
            people,
            sales_owner=sales,
            delivery_lead=lead,
        )
        anchor = anchors.get(row.client_id, "none")
        if rec is not None:
            actions.append(
                _action(
                    f"stand-down/{row.client_id}/{anchor}",
                    pk,
                    row.client_id,
                    "stand-down",
                    on,
                    to,
                    "; ".join(rec.reasons),
                    {"reasons": list(rec.reasons), "figures": [list(f) for f in rec.figures]},
                )
            )
        if escalation.over_threshold(row, thresholds):
            limit = thresholds[row.currency]
            why = (
                f"exposure {escalation.money_text(row.exposure, row.currency)} has reached the "
                f"alert threshold of {escalation.money_text(limit, row.currency)}"
            )
            actions.append(
                _action(
                    f"exposure-threshold/{row.client_id}/{row.currency}/{anchor}",
                    pk,
                    row.client_id,
                    "exposure-alert",
                    on,
                    to,
                    why,
                    {
                        "reasons": [why],
                        "figures": [list(f) for f in escalation.figures(row)],
                    },
                )
            )
    actions += _approvals_waiting(org, on, people, clients)
    return _not_done(org, actions)


def _not_done(org, actions: list[Action]) -> list[Action]:
    """Leave out what the outbox already holds (queued or done), so that `arrears plan` shows
    only what today's run would add."""
    done = set()
    keys = [a.key for a in actions]
    for i in range(0, len(keys), 500):
        done |= set(
            OutboxAction.objects.for_org(org)
            .filter(key__in=keys[i : i + 500])
            .exclude(status=ActionStatus.CANCELLED)
            .values_list("key", flat=True)
        )
    return [a for a in actions if a.key not in done]


def _action(key, client_pk, client_id, step, on, to, reason, data) -> Action:
    return Action(
        key=key,
        client_pk=client_pk,
        client_id=client_id,
        step=step,
        kind=KIND,
        level="client",
        status=DUE,
        scheduled_for=on,
        to=tuple(to),
        cc=(),
        items=(),
        reason=reason,
        template=step,
        policy="default",
        data=tuple(data.items()),
    )


def _exposures(org, on, thresholds, late) -> tuple[Exposure, ...]:
    """The exposure rows that could raise an alert: every client's when the organisation has a
    threshold, else only those of clients with a credit limit or an invoice past its contract's
    stop-work threshold (on a big ledger, most clients have neither)."""
    keep = None
    if not thresholds:
        limited = (
            Contract.objects.for_org(org)
            .filter(credit_limit__isnull=False, start_date__lte=on)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
            .values_list("client__external_id", flat=True)
        )
        keep = set(limited) | late.keys()
        if not keep:
            return ()
    terms_ = terms(org, on)
    if keep is not None:
        terms_ = [t for t in terms_ if t.client_id in keep]
    return expose(terms_, _owed(org, on, keep), work(org, on), on)


def _owed(org, on, clients: set[str] | None) -> list[Receivable]:
    """The receivables as of `on` (what the ledger owes now), summed in the database per client,
    currency and bucket (the report only adds them up), unless allocations are dated after `on`
    (then the report's own query, invoice by invoice). `clients`: only these (None: all)."""
    later = Allocation.objects.for_org(org).filter(date__gt=on, invoice__issue_date__lte=on)
    if later.exists():
        found = receivables(org, on)
        return found if clients is None else [r for r in found if r.client_id in clients]
    if clients is not None and not clients:
        return []
    invoices = (
        Invoice.objects.for_org(org)
        .filter(status__in=OPEN_STATUSES, issue_date__lte=on)
        .alias(owed=outstanding())
        .filter(owed__gt=0)
    )
    if clients is not None and len(clients) <= 500:  # a longer list: filtered below instead
        invoices = invoices.filter(client__external_id__in=clients)
    sums = (
        invoices.values("client__external_id", "client__name", "currency")
        .annotate(
            overdue=Sum("owed", filter=Q(due_date__lt=on), output_field=money_field()),
            current=Sum("owed", filter=Q(due_date__gte=on), output_field=money_field()),
        )
        .order_by()
    )
    overdue, current = on - timedelta(days=1), on  # stand-ins for the bucket's due dates
    out = []
    for r in sums:
        if clients is not None and r["client__external_id"] not in clients:
            continue
        for day, amount in ((overdue, r["overdue"]), (current, r["current"])):
            if amount:
                out.append(
                    Receivable(
                        r["client__external_id"], r["client__name"], r["currency"], day, amount
                    )
                )
    return out


def _late_invoices(org, snap, on) -> dict[str, list[escalation.LateInvoice]]:
    """Open, undisputed, unpromised overdue invoices of contracts with a stop-work threshold."""
    thresholds = dict(
        Contract.objects.for_org(org)
        .filter(stop_work_threshold_days__isnull=False)
        .values_list("external_id", "stop_work_threshold_days")
    )
    out: dict[str, list] = {}
    if not thresholds:
        return out
    ext = {pk: c.external_id for pk, c in snap.clients.items()}
    for i in snap.invoices:
        if i.contract not in thresholds:
            continue
        if i.due_date >= on or i.dispute or i.promise or i.outstanding <= 0:
            continue
        out.setdefault(ext[i.client_pk], []).append(
            escalation.LateInvoice(i.number, (on - i.due_date).days, thresholds.get(i.contract))
        )
    return out


def _episodes(org, on, client_pks: set[int]) -> dict[str, str]:
    """Client id -> what identifies the current episode (see core.escalation.episode), for the
    clients that get an alert today (a few queries each; usually there are none)."""
    out = {}
    for pk, client_id in (
        Client.objects.for_org(org).filter(pk__in=client_pks).values_list("pk", "external_id")
    ):
        oldest = (
            Invoice.objects.for_org(org)
            .filter(client_id=pk, status__in=OPEN_STATUSES, issue_date__lte=on)
            .order_by("due_date", "number")
            .values_list("number", flat=True)
            .first()
        )
        first = (
            TimeEntry.objects.for_org(org)
            .filter(client_id=pk, date__lte=on)
            .filter(Q(invoice__isnull=True) | Q(invoice__issue_date__gt=on))
            .aggregate(first=Min("date"))["first"]
        )
        out[client_id] = escalation.episode(oldest, first.isoformat() if first else None)
    return out


def _approvals_waiting(org, on, people, clients) -> list[Action]:
    """Approvals the daily run found waiting on an earlier day and nobody has decided since."""
    decided = set(Approval.objects.for_org(org).values_list("key", flat=True))
    ext = {pk: (e, sales) for e, (pk, sales, _lead) in clients.items()}
    out = []
    for w in ApprovalWait.objects.for_org(org).filter(since__lt=on).order_by("key"):
        if w.key in decided or w.client_id not in ext:
            continue
        client_id, sales = ext[w.client_id]
        days = (on - w.since).days
        why = f"{w.key} has waited for an approval since {w.since} ({days} days)"
        out.append(
            _action(
                f"approval-waiting/{w.key}",
                w.client_id,
                client_id,
                "approval-waiting",
                on,
                escalation.recipients(("leadership", "sales_owner"), people, sales_owner=sales),
                why,
                {
                    "approval_key": w.key,
                    "approval_step": w.step,
                    "since": w.since.isoformat(),
                    "waited_days": days,
                },
            )
        )
    return out
