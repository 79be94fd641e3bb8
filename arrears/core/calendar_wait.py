"""The calendar: client-facing actions go out on the client's business days only; on other
days their invoices wait, and say until when."""

from __future__ import annotations

from collections.abc import Iterable

from arrears.core.day import ClientDay
from arrears.core.ledger_state import InvoiceState


def waits_for_business_day(
    cd: ClientDay, step_id: str, invoices: Iterable[InvoiceState], say_when: bool
) -> bool:
    """Whether `step_id` waits for the client's next business day; if so, each of `invoices`
    is idle with the reason (and, with `say_when`, the day it goes out)."""
    if cd.country.business_day:
        return False
    calendar = cd.country.calendar
    reason = f"{step_id} waits for a business day: {calendar.why_not(cd.on)}"
    next_on = calendar.on_or_after(cd.on) if say_when else None
    for invoice in invoices:
        cd.idle(invoice, reason, step_id if say_when else None, next_on)
    return True
