"""Levers and their notice: a lever never surprises. For an invoice whose lever date has come,
a lever its contract does not allow is blocked (and the next lever looked at); otherwise it waits
until every earlier lever the contract allows was performed, and until `notice_days` after the
last message the client got about the invoice. An invoice stands at one lever at a time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import NamedTuple

from arrears.core.actions import Status
from arrears.core.ledger_state import InvoiceState
from arrears.core.policy import Policy, Step


class Standing(NamedTuple):
    """Where an invoice stands at a lever: DUE (ready), WAITING or BLOCKED, and why (the
    reason is only written when asked: `why`)."""

    lever: Step
    status: Status
    reason: str


def lever_standings(
    invoice: InvoiceState,
    policy: Policy,
    due_levers: tuple[tuple[int, Step], ...],
    client_done: Mapping[str, date],
    last_message: date | None,
    on: date,
    why: bool,
) -> Iterator[Standing]:
    """The invoice's standing at each lever whose date has come and that the client has not had
    (`due_levers`: (index among the policy's levers, step))."""
    clauses = invoice.clauses
    for n, lever in due_levers:
        if lever.id in client_done:
            continue
        if lever.gate and lever.gate not in clauses:
            where = f"contract {invoice.contract}" if invoice.contract else "no contract"
            yield Standing(
                lever, Status.BLOCKED, why and f"{invoice.number}: {where} has no {lever.gate}"
            )
            continue
        for earlier in policy.lever_steps[:n]:
            if (not earlier.gate or earlier.gate in clauses) and earlier.id not in client_done:
                reason = why and f"{invoice.number}: waiting for {earlier.id} to be performed first"
                yield Standing(lever, Status.WAITING, reason)
                return
        if last_message is None:
            reason = why and f"{invoice.number}: no message has been sent about it yet"
            yield Standing(lever, Status.WAITING, reason)
            return
        ready_on = last_message + timedelta(days=policy.notice_days)
        if ready_on > on:
            reason = why and (
                f"{invoice.number}: waiting until {ready_on} "
                f"({policy.notice_days} days' notice after the message of {last_message})"
            )
            yield Standing(lever, Status.WAITING, reason)
            return
        yield Standing(lever, Status.DUE, "")
        return
