"""Levers and their notice: a lever never surprises. For an invoice whose lever date has come,
a lever its contract does not allow is blocked (and the next lever looked at); otherwise it waits
until every earlier lever the contract allows was performed, and until `notice_days` after the
last message the client got about the invoice. An invoice stands at one lever at a time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import NamedTuple

from arrears.core.actions import Status, make_key
from arrears.core.approvals import approval_status
from arrears.core.calendar_wait import waits_for_business_day
from arrears.core.day import ClientDay, StepGroup
from arrears.core.ladder import Ladder
from arrears.core.ledger_state import InvoiceState
from arrears.core.levels import describe_lever
from arrears.core.policy import Policy, Step

DUE, NEEDS_APPROVAL, WAITING, BLOCKED = Status
_NOTHING: dict = {}


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


def group_levers(
    cd: ClientDay, invoice: InvoiceState, policy: Policy, ladder: Ladder, levers: dict
) -> None:
    """Add `invoice` to the client's group at each lever whose date has come, by its standing."""
    day = cd.day
    client_done = day.history.client_done.get(cd.client.pk, _NOTHING)
    last_message = day.history.last_message.get(invoice.pk)
    if day.why:
        standings = lever_standings(
            invoice, policy, ladder.levers, client_done, last_message, cd.on, True
        )
    else:  # without reasons, the same for the invoices of one ladder, contract clauses,
        # client history and last message: worked out once (0.08 s of a 1M cold plan's 2.3)
        key = (id(ladder), invoice.clauses, id(client_done), last_message)
        standings = day.standings.get(key)
        if standings is None:
            standings = day.standings[key] = tuple(
                lever_standings(
                    invoice, policy, ladder.levers, client_done, last_message, cd.on, False
                )
            )
    for lever, status, reason in standings:
        group = levers.get(lever.id)
        if group is None:
            group = levers[lever.id] = StepGroup(lever, policy)
        if status == DUE:
            group.ready.append(invoice)
        elif status == WAITING:
            group.waiting.append((invoice, reason))
        else:
            group.blocked.append((invoice, reason))


def lever_actions(cd: ClientDay, levers: dict[str, StepGroup]) -> None:
    """One action per lever for the client (a lever acts on the client, not on an invoice): on
    its business days, once approved when the step asks for it; else waiting or blocked."""
    wanted = cd.day.wanted
    client = cd.client
    for sid, group in levers.items():
        step, key = group.step, make_key(sid, client.external_id)
        if group.ready:
            if waits_for_business_day(cd, sid, group.ready, say_when=False):
                continue
            status, reason = DUE, ""
            if step.approval:
                status, reason = approval_status(cd.day.history.approvals.get(key), step)
            if not wanted(status):
                continue
            if status == NEEDS_APPROVAL:  # say what will run, on whom, under what
                contracts = sorted({i.contract for i in group.ready if i.contract})
                reason += ": " + describe_lever(
                    sid, client.name, client.external_id, step.gate, contracts, step.brings
                )
            items = [cd.item(invoice, sid) for invoice in group.ready]
            if status == DUE and not reason:
                clauses = f" under {step.gate}" if step.gate else ""
                reason = f"{len(items)} invoice(s) past {step.offset_days} days{clauses}"
            cd.out.actions.append(cd.action(step, group.policy, items, status, reason, key=key))
        else:
            held = group.waiting or group.blocked
            status = WAITING if group.waiting else BLOCKED
            if not wanted(status):
                continue
            items = [cd.item(invoice, sid) for invoice, _ in held]
            reason = "; ".join(r for _, r in held)
            cd.out.actions.append(cd.action(step, group.policy, items, status, reason, key=key))
