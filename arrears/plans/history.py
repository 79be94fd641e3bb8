"""A client's payment plans in its timeline: drafted, accepted, completed or voided."""

from __future__ import annotations

from arrears.core.money import format_money

from .models import PaymentPlan


def events(client, event, at) -> list:
    """`event(when, kind, text)` and `at(date)` come from the timeline, which owns them."""
    out = []
    for p in PaymentPlan.objects.filter(client=client).prefetch_related("instalments"):
        count = len(p.instalments.all())
        out.append(
            event(
                p.created_at,
                "plan",
                f"payment plan {p.label} drafted: {format_money(p.total, p.currency)} in "
                f"{count} instalment(s) from {p.first_date}, on a miss: {p.on_miss}",
            )
        )
        if p.accepted_at:
            out.append(
                event(
                    p.accepted_at,
                    "plan-accepted",
                    f"payment plan {p.label} accepted ({p.accepted_how}, recorded by "
                    f"{p.accepted_by})",
                )
            )
        if p.closed_on:
            out.append(
                event(
                    at(p.closed_on),
                    f"plan-{p.status}",
                    f"payment plan {p.label} {p.status}: {p.closed_reason}",
                )
            )
    return out
