"""One client's day on the ladder. For each open invoice: the pauses (`core.pauses`), the
minimum amount, where it stands on its policy's ladder (`core.ladder`, worked out once per
country, policy and due date), its message step, its levers and their notice
(`core.lever_rules`) and its internal steps. Then the client's actions: the calendar (client-
facing actions wait for the client's business day), approvals (`core.approvals`),
consolidation (one message for every invoice due a message that day, in the tone of its most
advanced step, with the internal alerts that ride along), one action per lever and internal
step, and their recipients (`core.recipients`). `core.planner.plan` runs it for every client.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import NamedTuple

from arrears.core.actions import Action, BrokenPromise, Idle, Item, Skip, Status, make_key
from arrears.core.approvals import APPROVED, ASK, REJECTED, approval_status, item_decision
from arrears.core.calendar import BusinessCalendar, calendar_for
from arrears.core.ladder import Ladder, ladder_for
from arrears.core.ledger_state import ClientState, History, InvoiceState, People
from arrears.core.levels import describe_lever
from arrears.core.lever_rules import lever_standings
from arrears.core.pauses import pause
from arrears.core.policy import Policy, Step, StepKind, StepLevel
from arrears.core.recipients import Recipients
from arrears.core.steps import next_message

DUE, NEEDS_APPROVAL, WAITING, BLOCKED = Status
_NOTHING: dict = {}
_BY_DUE_THEN_NUMBER = attrgetter("due_date", "number")


@dataclass(slots=True)
class Country:
    """A country's calendar, whether the plan day is a business day there, and its ladders by
    (policy name, due date): the same for every invoice of the country, policy and due date."""

    calendar: BusinessCalendar
    business_day: bool
    on: date
    ladders: dict[tuple[str, date], Ladder] = field(default_factory=dict)

    def ladder(self, policy: Policy, due: date) -> Ladder:
        found = self.ladders.get((policy.name, due))
        if found is None:
            found = self.ladders[(policy.name, due)] = ladder_for(
                policy, due, self.calendar, self.on
            )
        return found


class Day:
    """What the planning of every client on one day shares: the policies, the history, each
    country's calendar and ladders, the people behind internal roles, the options."""

    def __init__(self, policies, history: History, people: People, on: date, explain, want):
        self.policies: Mapping[str, Policy] = policies
        self.default: Policy = policies["default"]
        self.history = history
        self.people = people
        self.on = on
        self.explain: bool = explain
        self.want: frozenset[str] = want
        self.untold: dict[str, int] = defaultdict(int)
        self.why: bool = explain or WAITING in want or BLOCKED in want  # write reasons
        self.countries: dict[str, Country] = {}
        self.internal: dict[tuple, tuple[str, ...]] = {}  # shared by `Recipients`

    def country(self, code: str) -> Country:
        found = self.countries.get(code)
        if found is None:
            cal = calendar_for(code)
            found = self.countries[code] = Country(cal, cal.is_business_day(self.on), self.on)
        return found

    def wanted(self, status: Status) -> bool:
        """Whether to build an action of `status`; if not, it is counted."""
        if status in self.want:
            return True
        self.untold[status] += 1
        return False


class Message(NamedTuple):
    """An invoice due a message step today."""

    invoice: InvoiceState
    step: Step
    policy: Policy
    done: Collection[str]  # the invoice's steps done before
    ladder: Ladder


@dataclass(slots=True)
class StepGroup:
    """The client's invoices at one lever or internal step: ready, waiting and blocked ones
    (the last two with their reasons)."""

    step: Step
    policy: Policy
    ready: list[InvoiceState] = field(default_factory=list)
    waiting: list[tuple[InvoiceState, str]] = field(default_factory=list)
    blocked: list[tuple[InvoiceState, str]] = field(default_factory=list)


@dataclass(slots=True)
class ClientPlan:
    actions: list[Action] = field(default_factory=list)
    idle: list[Idle] = field(default_factory=list)
    broken: list[BrokenPromise] = field(default_factory=list)


def plan_client(day: Day, client: ClientState, invoices: list[InvoiceState]) -> ClientPlan:
    """The client's actions on `day.on`, what its invoices wait for, and the promises broken."""
    return _ClientDay(day, client).plan(invoices)


class _ClientDay:
    """The state of one client's planning: its country, recipients and what it found so far."""

    __slots__ = ("day", "client", "on", "country", "recipients", "out")

    def __init__(self, day: Day, client: ClientState):
        self.day = day
        self.client = client
        self.on = day.on
        self.country = day.country(client.country)
        self.recipients = Recipients(client, day.people, day.internal)
        self.out = ClientPlan()

    def plan(self, invoices: list[InvoiceState]) -> ClientPlan:
        day, history = self.day, self.day.history
        policies, default, client_policy = day.policies, day.default, self.client.policy
        ladders = self.country.ladders
        messages: list[Message] = []
        levers: dict[str, StepGroup] = {}
        others: dict[str, StepGroup] = {}
        invoices.sort(key=_BY_DUE_THEN_NUMBER)  # the list is the plan's own
        for invoice in invoices:
            name = invoice.policy or client_policy  # the contract's, else the client's
            policy = policies.get(name, default) if name else default
            paused = invoice.dispute or invoice.on_plan or invoice.promise
            if paused and not self.still_chased(invoice, policy):
                continue
            if invoice.outstanding < policy.minimum_amount:
                reason = f"below the minimum of {policy.minimum_amount} {invoice.currency}"
                self.idle(invoice, reason)
                continue
            due = invoice.due_date
            ladder = ladders.get((policy.name, due)) or self.country.ladder(policy, due)
            done = history.done.get(invoice.pk, _NOTHING)
            step = ladder.step
            if step is not None and step.id not in done:
                messages.append(Message(invoice, step, policy, done, ladder))
            elif day.explain:
                self.explain_next(invoice, policy, ladder)
            if ladder.levers:
                self.add_levers(invoice, policy, ladder, levers)
            if ladder.others:
                self.add_others(invoice, policy, ladder, done, others)
        if messages:
            self.message_actions(messages)
        if levers:
            self.lever_actions(levers)
        if others:
            self.other_actions(others)
        return self.out

    # -- per invoice -------------------------------------------------------------------------
    def idle(self, invoice: InvoiceState, reason: str, next_step=None, next_on=None) -> None:
        if self.day.explain:
            idle = Idle(self.client.external_id, invoice.number, reason, next_step, next_on)
            self.out.idle.append(idle)

    def item(self, invoice: InvoiceState, step: str) -> Item:
        return Item(
            invoice.pk,
            invoice.number,
            step,
            invoice.outstanding,
            invoice.currency,
            invoice.due_date,
            (self.on - invoice.due_date).days,
        )

    def still_chased(self, invoice: InvoiceState, policy: Policy) -> bool:
        """Pauses; a promise past its grace is broken: alerted, and the ladder resumes."""
        reason = pause(invoice, policy, self.on)
        if reason is not None:
            self.idle(invoice, reason)
            return False
        promise = invoice.promise
        self.out.broken.append(
            BrokenPromise(promise.pk, invoice.pk, invoice.number, self.client.pk, promise.until)
        )
        self.out.actions.append(self.promise_alert(invoice, policy))
        return True

    def explain_next(self, invoice: InvoiceState, policy: Policy, ladder: Ladder) -> None:
        nxt = next_message(policy, ladder.dates, self.on)
        if nxt is None:
            self.idle(invoice, "every message step has been sent")
        else:
            self.idle(invoice, f"next step {nxt.step.id} on {nxt.on}", nxt.step.id, nxt.on)

    def add_levers(self, invoice, policy, ladder: Ladder, levers: dict[str, StepGroup]) -> None:
        history = self.day.history
        standings = lever_standings(
            invoice,
            policy,
            ladder.levers,
            history.client_done.get(self.client.pk, _NOTHING),
            history.last_message.get(invoice.pk),
            self.on,
            self.day.why,
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

    def add_others(self, invoice, policy, ladder: Ladder, done, others) -> None:
        """Internal and recommendation steps whose date has come: gated by the contract."""
        client_done = self.day.history.client_done.get(self.client.pk, _NOTHING)
        for step in ladder.others:
            if step.id in (client_done if step.level == StepLevel.CLIENT else done):
                continue
            group = others.get(step.id)
            if group is None:
                group = others[step.id] = StepGroup(step, policy)
            if step.gate and step.gate not in invoice.clauses:
                group.blocked.append(
                    (invoice, self.day.why and f"{invoice.number}: no {step.gate}")
                )
            else:
                group.ready.append(invoice)

    # -- per client --------------------------------------------------------------------------
    def waits_for_business_day(self, step_id: str, invoices, say_when: bool) -> bool:
        """The calendar: client-facing actions go out on the client's business days only."""
        if self.country.business_day:
            return False
        calendar = self.country.calendar
        reason = f"{step_id} waits for a business day: {calendar.why_not(self.on)}"
        next_on = calendar.on_or_after(self.on) if say_when else None
        for invoice in invoices:
            self.idle(invoice, reason, step_id if say_when else None, next_on)
        return True

    def message_actions(self, messages: list[Message]) -> None:
        """Approvals and gates per invoice, then one message per client and decision."""
        if not self.country.business_day:
            for m in messages:
                self.waits_for_business_day(m.step.id, (m.invoice,), say_when=True)
            return
        ready, approved, pending, blocked = [], [], [], []
        item_approvals = self.day.history.item_approvals
        for m in messages:
            step, invoice = m.step, m.invoice
            if step.gate and step.gate not in invoice.clauses:
                blocked.append((m, f"{invoice.number}: contract has no {step.gate}"))
            elif not step.approval:
                ready.append(m)
            else:
                decision = item_decision(item_approvals, invoice.pk, step)
                if decision == APPROVED:
                    approved.append(m)
                elif decision == REJECTED:
                    blocked.append((m, f"{invoice.number}: {step.id} was rejected"))
                else:
                    pending.append(m)
        wanted = self.day.wanted
        if ready:
            self.consolidate(ready, DUE, "")
        if approved:
            self.consolidate(approved, DUE, APPROVED)
        if pending and wanted(NEEDS_APPROVAL):
            self.consolidate(pending, NEEDS_APPROVAL, ASK)
        for m, reason in blocked:
            if wanted(BLOCKED):
                items = [self.item(m.invoice, m.step.id)]
                self.out.actions.append(self.action(m.step, m.policy, items, BLOCKED, reason))

    def consolidate(self, group: list[Message], status: Status, reason: str) -> None:
        """One message for the client's invoices in `group`, in the tone of the most advanced
        step; earlier steps never sent are listed as skips."""
        top = max(group, key=_rank)
        step = top.step
        items, skips, notify = [], [], False
        for m in group:
            invoice, earlier = m.invoice, m.ladder.earlier
            notify = notify or bool(m.step.notify)
            items.append(
                Item(
                    invoice.pk,
                    invoice.number,
                    m.step.id,
                    invoice.outstanding,
                    invoice.currency,
                    invoice.due_date,
                    m.ladder.overdue,
                )
            )
            if earlier:
                left = tuple(e for e in earlier if e not in m.done) if m.done else earlier
                skips.append(Skip(invoice.pk, left))
        key = make_key(
            step.id, self.client.external_id, [(i.invoice_number, i.step) for i in items]
        )
        if status == NEEDS_APPROVAL:
            reason = f"{step.id} {reason}"
        action = self.action(step, top.policy, items, status, reason, key=key, skips=skips)
        self.out.actions.append(action)
        if status == DUE and notify:
            self.ride_along_alerts(group, action)  # also when the message is blocked

    def ride_along_alerts(self, group: list[Message], message: Action) -> None:
        """Internal alerts that ride along with a step (`notify` in the policy). Each carries
        the message's key, and its status and reason when it cannot be sent (no contact), so
        that the alert says what became of it (dunning/outcome.py)."""
        by_step: dict[str, list[Message]] = defaultdict(list)
        for m in group:
            if m.step.notify:
                by_step[m.step.id].append(m)
        client = self.client
        goes = message.status == DUE
        said: tuple[tuple[str, object], ...] = (
            ("message", message.key),
            ("message_status", message.status),
        )
        if not goes:
            said += (("message_reason", message.reason),)
        for sid, entries in by_step.items():
            first = entries[0]
            alert = f"{sid}-alert"
            items = tuple(self.item(m.invoice, alert) for m in entries)
            self.out.actions.append(
                Action(
                    key=make_key(
                        alert, client.external_id, [(i.invoice_number, alert) for i in items]
                    ),
                    client_pk=client.pk,
                    client_id=client.external_id,
                    step=alert,
                    kind=StepKind.INTERNAL,
                    level=StepLevel.INVOICE,
                    status=DUE,
                    scheduled_for=self.on,
                    to=self.recipients.internal(first.step.notify),
                    cc=(),
                    items=items,
                    reason=f"{sid} for {client.name}"
                    if goes
                    else f"{sid} not sent: {message.reason}",
                    template="step-alert",
                    policy=first.policy.name,
                    data=said,
                )
            )

    def lever_actions(self, levers: dict[str, StepGroup]) -> None:
        wanted = self.day.wanted
        client = self.client
        for sid, group in levers.items():
            step, key = group.step, make_key(sid, client.external_id)
            if group.ready:
                if self.waits_for_business_day(sid, group.ready, say_when=False):
                    continue
                status, reason = DUE, ""
                if step.approval:
                    status, reason = approval_status(self.day.history.approvals.get(key), step)
                if not wanted(status):
                    continue
                if status == NEEDS_APPROVAL:  # say what will run, on whom, under what
                    contracts = sorted({i.contract for i in group.ready if i.contract})
                    reason += ": " + describe_lever(
                        sid, client.name, client.external_id, step.gate, contracts
                    )
                items = [self.item(invoice, sid) for invoice in group.ready]
                if status == DUE and not reason:
                    clauses = f" under {step.gate}" if step.gate else ""
                    reason = f"{len(items)} invoice(s) past {step.offset_days} days{clauses}"
                self.out.actions.append(
                    self.action(step, group.policy, items, status, reason, key=key)
                )
            else:
                held = group.waiting or group.blocked
                status = WAITING if group.waiting else BLOCKED
                if not wanted(status):
                    continue
                items = [self.item(invoice, sid) for invoice, _ in held]
                reason = "; ".join(r for _, r in held)
                self.out.actions.append(
                    self.action(step, group.policy, items, status, reason, key=key)
                )

    def other_actions(self, others: dict[str, StepGroup]) -> None:
        wanted = self.day.wanted
        for sid, group in others.items():
            step = group.step
            if group.ready:
                items = [self.item(invoice, sid) for invoice in group.ready]
                per_invoice = step.level != StepLevel.CLIENT
                pairs = [(i.invoice_number, sid) for i in items] if per_invoice else ()
                key = make_key(sid, self.client.external_id, pairs)
                status, reason = DUE, f"{len(items)} invoice(s) past {step.offset_days} days"
                if step.approval:
                    status, reason = approval_status(self.day.history.approvals.get(key), step)
                if not wanted(status):
                    continue
                self.out.actions.append(
                    self.action(step, group.policy, items, status, reason, key=key)
                )
            elif group.blocked and wanted(BLOCKED):
                items = [self.item(invoice, sid) for invoice, _ in group.blocked]
                reason = "; ".join(r for _, r in group.blocked)
                self.out.actions.append(self.action(step, group.policy, items, BLOCKED, reason))

    def promise_alert(self, invoice: InvoiceState, policy: Policy) -> Action:
        client, promise = self.client, invoice.promise
        return Action(
            key=f"promise-broken/{client.external_id}/{promise.pk}",
            client_pk=client.pk,
            client_id=client.external_id,
            step="promise-broken",
            kind=StepKind.INTERNAL,
            level=StepLevel.INVOICE,
            status=DUE,
            scheduled_for=self.on,
            to=self.recipients.internal(("sales_owner",)),
            cc=(),
            items=(self.item(invoice, "promise-broken"),),
            reason=f"{invoice.number}: the promise to pay by {promise.until} was not kept",
            template="promise-broken",
            policy=policy.name,
            promise_id=promise.pk,
        )

    def action(self, step: Step, policy: Policy, items, status, reason, *, key=None, skips=()):
        """An action of the client's for `step`; blocked when nobody can be told."""
        client = self.client
        to, cc = self.recipients.of(step)
        if not to and status in (DUE, NEEDS_APPROVAL):
            status = BLOCKED
            reason = f"{client.external_id} has no {'/'.join(step.to)} contact to send to"
        if key is None:
            key = make_key(step.id, client.external_id, [(i.invoice_number, i.step) for i in items])
        return Action(
            key=key,
            client_pk=client.pk,
            client_id=client.external_id,
            step=step.id,
            kind=step.kind,
            level=step.level,
            status=status,
            scheduled_for=self.on,
            to=to,
            cc=cc,
            items=tuple(items),
            reason=reason,
            template=step.template,
            policy=policy.name,
            approval=step.approval,
            skips=tuple(skips),
        )


def _rank(message: Message) -> int:
    return message.ladder.rank
