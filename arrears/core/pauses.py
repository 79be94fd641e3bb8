"""Pauses: a disputed invoice, one covered by an active payment plan and one promised (until the
promised date plus the policy's grace) are not chased. A promise past its grace is broken: it
is alerted once, and the ladder resumes."""

from __future__ import annotations

from datetime import date, timedelta

from arrears.core.actions import Action, BrokenPromise, Status
from arrears.core.day import ClientDay
from arrears.core.ledger_state import InvoiceState
from arrears.core.policy import Policy, StepKind, StepLevel


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


def still_chased(cd: ClientDay, invoice: InvoiceState, policy: Policy) -> bool:
    """For a disputed, planned or promised invoice: whether the ladder goes on. A paused one
    is idle with its reason; a promise past its grace is broken: alerted, and chased again."""
    reason = pause(invoice, policy, cd.on)
    if reason is not None:
        cd.idle(invoice, reason)
        return False
    promise = invoice.promise
    cd.out.broken.append(
        BrokenPromise(promise.pk, invoice.pk, invoice.number, cd.client.pk, promise.until)
    )
    cd.out.actions.append(promise_alert(cd, invoice, policy))
    return True


def promise_alert(cd: ClientDay, invoice: InvoiceState, policy: Policy) -> Action:
    """The alert to the client's sales owner that a promise was not kept."""
    client, promise = cd.client, invoice.promise
    return Action(
        key=f"promise-broken/{client.external_id}/{promise.pk}",
        client_pk=client.pk,
        client_id=client.external_id,
        step="promise-broken",
        kind=StepKind.INTERNAL,
        level=StepLevel.INVOICE,
        status=Status.DUE,
        scheduled_for=cd.on,
        to=cd.recipients.internal(("sales_owner",)),
        cc=(),
        items=(cd.item(invoice, "promise-broken"),),
        reason=f"{invoice.number}: the promise to pay by {promise.until} was not kept",
        template="promise-broken",
        policy=policy.name,
        promise_id=promise.pk,
    )
