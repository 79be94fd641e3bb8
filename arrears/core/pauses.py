"""Pauses: a disputed invoice, one covered by an active payment plan and one promised (until the
promised date plus the policy's grace) are not chased. A promise past its grace is broken: it
is alerted once, and the ladder resumes."""

from __future__ import annotations

from datetime import date, timedelta

from arrears.core.ledger_state import InvoiceState
from arrears.core.policy import Policy


def pause(invoice: InvoiceState, policy: Policy, on: date) -> str | None:
    """Why the ladder is paused for `invoice` on `on`, or None when it is chased."""
    if invoice.dispute:
        return f"paused: disputed ({invoice.dispute})"
    if invoice.on_plan:
        return "paused: covered by a payment plan"
    if invoice.promise is not None:
        until = invoice.promise.until
        grace_end = until + timedelta(days=policy.promise_grace_days)
        if on <= grace_end:
            return f"paused: promised to pay by {until} (grace until {grace_end})"
    return None
