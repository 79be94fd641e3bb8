"""A client's payment plans in its timeline: drafted, accepted, completed or voided."""

from __future__ import annotations

from arrears.core.money import format_money
from arrears.dunning.timeline import Event, at

from .models import PaymentPlan


def events(client) -> list[Event]:
    """Registered with the engine's timeline (`extensions.add_timeline`)."""
    out = []
    for p in PaymentPlan.objects.filter(client=client).prefetch_related("instalments"):
        count = len(p.instalments.all())
        out.append(
            Event(
                p.created_at,
                "plan",
                f"payment plan {p.label} drafted: {format_money(p.total, p.currency)} in "
                f"{count} instalment(s) from {p.first_date}, on a miss: {p.on_miss}",
            )
        )
        if p.accepted_at:
            out.append(
                Event(
                    p.accepted_at,
                    "plan-accepted",
                    f"payment plan {p.label} accepted ({p.accepted_how}, recorded by "
                    f"{p.accepted_by})",
                )
            )
        if p.closed_on:
            out.append(
                Event(
                    at(p.closed_on),
                    f"plan-{p.status}",
                    f"payment plan {p.label} {p.status}: {p.closed_reason}",
                )
            )
    return out
