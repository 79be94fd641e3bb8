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

from datetime import date

from django.db.models import Min, Q

from arrears.core import escalation
from arrears.core.planner import DUE, Action
from arrears.dunning.models import ActionStatus, Approval, OutboxAction
from arrears.ledger.models import Client, Contract, Organisation, TimeEntry

from .models import ApprovalWait, Threshold
from .queries import report

KIND = "escalation"


def plan(org: Organisation, on: date, snap) -> list[Action]:
    rows = report(org, on).rows
    clients = {
        ext: (pk, sales, lead)
        for pk, ext, sales, lead in Client.objects.for_org(org).values_list(
            "pk", "external_id", "sales_owner_email", "delivery_lead_email"
        )
    }
    thresholds = {c: a for c, a in Threshold.objects.for_org(org).values_list("currency", "amount")}
    late = _late_invoices(org, snap, on)
    anchors = _episodes(org, snap, on)
    people = snap.people
    actions: list[Action] = []
    for row in rows:
        pk, sales, lead = clients[row.client_id]
        to = escalation.recipients(
            ("leadership", "sales_owner", "delivery_lead"),
            people,
            sales_owner=sales,
            delivery_lead=lead,
        )
        anchor = anchors.get(row.client_id, "none")
        rec = escalation.stand_down(row, late.get(pk, ()))
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


def _late_invoices(org, snap, on) -> dict[int, list[escalation.LateInvoice]]:
    """Open, undisputed, unpromised overdue invoices with their contract's stop-work threshold."""
    thresholds = dict(
        Contract.objects.for_org(org)
        .filter(stop_work_threshold_days__isnull=False)
        .values_list("external_id", "stop_work_threshold_days")
    )
    out: dict[int, list] = {}
    for i in snap.invoices:
        if i.due_date >= on or i.dispute or i.promise or i.outstanding <= 0:
            continue
        out.setdefault(i.client_pk, []).append(
            escalation.LateInvoice(i.number, (on - i.due_date).days, thresholds.get(i.contract))
        )
    return out


def _episodes(org, snap, on) -> dict[str, str]:
    """Client id -> what identifies the current episode (see core.escalation.episode)."""
    ext = dict(Client.objects.for_org(org).values_list("pk", "external_id"))
    oldest: dict[int, tuple] = {}
    for i in snap.invoices:
        if i.issue_date <= on and (
            i.client_pk not in oldest or (i.due_date, i.number) < oldest[i.client_pk]
        ):
            oldest[i.client_pk] = (i.due_date, i.number)
    unbilled = (
        TimeEntry.objects.for_org(org)
        .filter(date__lte=on)
        .filter(Q(invoice__isnull=True) | Q(invoice__issue_date__gt=on))
        .values("client_id")
        .annotate(first=Min("date"))
        .order_by()
    )
    first = {r["client_id"]: r["first"] for r in unbilled}
    out = {}
    for pk, client_id in ext.items():
        inv = oldest.get(pk)
        day = first.get(pk)
        out[client_id] = escalation.episode(
            inv[1] if inv else None, day.isoformat() if day else None
        )
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
