"""Internal escalation: who hears about what, and when a client calls for standing the team
down. Pure rules, no Django.

Roles are the organisation's people: `sales_owner` and `delivery_lead` (set per client),
`leadership` (owners and leadership members), `accounting` (accounting members, else the
organisation's accounts address).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from arrears.core.exposure import Exposure
from arrears.core.money import round_money
from arrears.core.planner import People

# -- disputes -----------------------------------------------------------------------------------
ADMINISTRATIVE = ("administrative", "missing-po", "wrong-entity", "vendor-setup")
TIME_AND_MATERIALS = "tm"


@dataclass(frozen=True, slots=True)
class Route:
    """Who is told about a dispute, and what the alert points out."""

    roles: tuple[str, ...]
    why: str
    suggestion: str = ""
    drift: bool = False  # time-and-materials work waiting for a demo: drifting to milestones


def route_dispute(reason: str, engagement: str | None) -> Route:
    """Administrative problems are accounting's to fix; cash flow is leadership's call (offer a
    payment plan); quality is the delivery lead's; a time-and-materials client waiting for a
    demo or an approval is treating the engagement as milestone billing: leadership decides."""
    if reason in ADMINISTRATIVE:
        return Route(
            ("accounting",),
            "An administrative problem (PO, billing entity, vendor set-up): accounting can fix it.",
        )
    if reason == "cash-flow":
        return Route(
            ("leadership",),
            "The client says it cannot pay now: a decision for leadership.",
            "Offer a payment plan rather than waiting: instalments keep "
            "money coming in and the ladder resumes if one is missed.",
        )
    if reason == "quality":
        return Route(
            ("delivery_lead",),
            "The client questions the quality of the work: the delivery lead answers it.",
        )
    if reason == "approval-pending":
        if engagement == TIME_AND_MATERIALS:
            return Route(
                ("leadership",),
                "The client holds time-and-materials invoices until a demo or an approval.",
                "The engagement is drifting toward milestone billing: agree the change with the "
                "client (a change order) or insist on the contract's terms.",
                drift=True,
            )
        return Route(("sales_owner",), "The client waits for a demo or an approval.")
    return Route(("sales_owner", "accounting"), "The client disputes the invoice.")


# -- standing the team down ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LateInvoice:
    number: str
    days_overdue: int
    threshold: int | None  # the contract's stop-work threshold in days, None: not set


@dataclass(frozen=True, slots=True)
class Recommendation:
    client_id: str
    reasons: tuple[str, ...]  # one sentence per trigger, with the figures
    figures: tuple[tuple[str, str], ...]  # (name, value) shown in the message


def money_text(value, currency) -> str:
    """`1234.50 GBP`: exact, with the currency's decimals, for internal messages."""
    return f"{round_money(value, currency)} {currency}"


def stand_down(row: Exposure, late: Iterable[LateInvoice]) -> Recommendation | None:
    """A stand-down is recommended when exposure (overdue + current + unbilled work) has reached
    the credit limit, or an invoice is overdue by more than its contract's stop-work threshold."""
    reasons = []
    if row.over_limit:
        reasons.append(
            f"exposure {money_text(row.exposure, row.currency)} has reached the credit limit of "
            f"{money_text(row.credit_limit, row.currency)}"
        )
    for inv in sorted(late, key=lambda i: (-i.days_overdue, i.number)):
        if inv.threshold is not None and inv.days_overdue > inv.threshold:
            reasons.append(
                f"invoice {inv.number} is {inv.days_overdue} days overdue, past the contract's "
                f"stop-work threshold of {inv.threshold} days"
            )
    if not reasons:
        return None
    return Recommendation(row.client_id or "", tuple(reasons), figures(row))


def figures(row: Exposure) -> tuple[tuple[str, str], ...]:
    c = row.currency
    out = [
        ("overdue", money_text(row.overdue, c)),
        ("current", money_text(row.current, c)),
        ("unbilled work in progress", money_text(row.unbilled_wip, c)),
        ("exposure", money_text(row.exposure, c)),
        (
            "credit limit",
            money_text(row.credit_limit, c) if row.credit_limit is not None else "none",
        ),
        ("contractor cost not covered", money_text(row.uncovered_cost, c)),
        ("daily burn (14 days)", money_text(row.daily_burn, c)),
    ]
    if row.days_to_limit is not None:
        out.append(("days to the credit limit", str(row.days_to_limit)))
    return tuple(out)


def episode(oldest_open_invoice: str | None, oldest_unbilled_day: str | None) -> str:
    """What identifies one episode of a client being over the line, for the action's key: the
    oldest debt still open when it started (the oldest open invoice, else the day of the oldest
    unbilled work). While that debt is open the episode goes on and nothing is sent again;
    once it is settled, a client still over the line is a new situation, and is told again."""
    if oldest_open_invoice:
        return oldest_open_invoice
    return f"unbilled-{oldest_unbilled_day}" if oldest_unbilled_day else "none"


def over_threshold(row: Exposure, thresholds: dict[str, object]) -> bool:
    """The organisation's own alert threshold for the row's currency (exposure at or above)."""
    limit = thresholds.get(row.currency)
    return limit is not None and row.exposure >= limit


# -- who is told ---------------------------------------------------------------------------------
def recipients(
    roles: Iterable[str], people: People, *, sales_owner: str = "", delivery_lead: str = ""
) -> tuple[str, ...]:
    """The addresses of internal roles, in the order given, each once; an alert always reaches
    someone: with nobody in those roles, it goes to the organisation's accounts address."""
    found: list[str] = []
    for role in roles:
        if role == "leadership":
            found += people.leadership
        elif role == "accounting":
            found += people.accounting
        elif role == "sales_owner" and sales_owner:
            found.append(sales_owner)
        elif role == "delivery_lead" and delivery_lead:
            found.append(delivery_lead)
    out = tuple(dict.fromkeys(a for a in found if a))
    return out or ((people.fallback,) if people.fallback else ())
