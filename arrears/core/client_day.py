"""One client's day on the ladder. For each open invoice: the pauses (`core.pauses`), the
minimum amount, where it stands on its policy's ladder (`core.ladder`, worked out once per
country, policy and due date), its message step, its levers and their notice
(`core.lever_rules`) and its internal steps (`core.internal_steps`). Then the client's
actions: its messages, on its business days (`core.calendar_wait`), by approval
(`core.approvals`), consolidated (`core.consolidation`); one action per lever and internal
step; each with its recipients (`core.recipients`). `core.planner.plan` runs it for every
client; the records the rules share are in `core.day`."""

from __future__ import annotations

from operator import attrgetter

from arrears.core.consolidation import message_actions
from arrears.core.day import ClientDay, ClientPlan, Day, Message, StepGroup
from arrears.core.internal_steps import group_internal_steps, internal_actions
from arrears.core.ladder import Ladder
from arrears.core.ledger_state import ClientState, InvoiceState
from arrears.core.lever_rules import group_levers, lever_actions
from arrears.core.pauses import still_chased
from arrears.core.policy import Policy
from arrears.core.steps import next_message

__all__ = ["ClientPlan", "Day", "plan_client"]

_NOTHING: dict = {}
_BY_DUE_THEN_NUMBER = attrgetter("due_date", "number")


def plan_client(day: Day, client: ClientState, invoices: list[InvoiceState]) -> ClientPlan:
    """The client's actions on `day.on`, what its invoices wait for, and the promises broken."""
    cd = ClientDay(day, client)
    history = day.history
    policies, default, client_policy = day.policies, day.default, client.policy
    country = cd.country
    ladders = country.ladders
    messages: list[Message] = []
    levers: dict[str, StepGroup] = {}
    others: dict[str, StepGroup] = {}
    invoices.sort(key=_BY_DUE_THEN_NUMBER)  # the list is the plan's own
    for invoice in invoices:
        name = invoice.policy or client_policy  # the contract's, else the client's
        policy = policies.get(name, default) if name else default
        paused = invoice.dispute or invoice.on_plan or invoice.promise
        if paused and not still_chased(cd, invoice, policy):
            continue
        if invoice.outstanding < policy.minimum_amount:
            cd.idle(invoice, f"below the minimum of {policy.minimum_amount} {invoice.currency}")
            continue
        due = invoice.due_date
        ladder = ladders.get((policy.name, due)) or country.ladder(policy, due)
        done = history.done.get(invoice.pk, _NOTHING)
        step = ladder.step
        if step is not None and step.id not in done:
            messages.append(Message(invoice, step, policy, done, ladder))
        elif day.explain:
            explain_next(cd, invoice, policy, ladder)
        if ladder.levers:
            group_levers(cd, invoice, policy, ladder, levers)
        if ladder.others:
            group_internal_steps(cd, invoice, policy, ladder, done, others)
    if messages:
        message_actions(cd, messages)
    if levers:
        lever_actions(cd, levers)
    if others:
        internal_actions(cd, others)
    return cd.out


def explain_next(cd: ClientDay, invoice: InvoiceState, policy: Policy, ladder: Ladder) -> None:
    """Why an invoice with no message today waits: its next message step and when."""
    nxt = next_message(policy, ladder.dates, cd.on)
    if nxt is None:
        cd.idle(invoice, "every message step has been sent")
    else:
        cd.idle(invoice, f"next step {nxt.step.id} on {nxt.on}", nxt.step.id, nxt.on)
