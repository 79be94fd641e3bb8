"""The planner: (ledger state, policies, date) -> the actions due that day. A pure function.

Rules (issue 4):
- a step's date is the first business day of the client's country on or after due + offset;
- messages catch up without flooding: an invoice gets only its most advanced message step
  whose date has come, and earlier unsent ones are skipped (recorded when it is sent);
- levers never surprise: a lever waits until its date, every earlier lever its contract allows
  is performed, and a message about the invoice went out at least `notice_days` before;
- client-facing actions only on the client's business days; internal ones any day;
- one message per client per day, in the tone of its most advanced step;
- nothing for an invoice that is disputed, on a payment plan, promised (until the date plus
  grace) or owes less than the minimum; a promise past its grace is broken and alerted;
- a gated step without its clause is blocked; an approval step waits for an approval;
- every action's key is made of what it is (step, client, invoices), never of when.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import NamedTuple

from arrears.core.calendar import BusinessCalendar, calendar_for
from arrears.core.levels import describe_lever
from arrears.core.policy import Policy, Step

DUE, NEEDS_APPROVAL, WAITING, BLOCKED = "due", "needs_approval", "waiting", "blocked"
EVERY = frozenset((DUE, NEEDS_APPROVAL, WAITING, BLOCKED))


class InvoiceState(NamedTuple):
    pk: int
    number: str
    client_pk: int
    issue_date: date
    due_date: date
    currency: str
    outstanding: Decimal
    contract: str | None  # the contract's id, for reasons
    clauses: frozenset[str]  # the contract's clauses that are `yes`
    policy: str | None  # assigned policy name (contract's, else client's), None: default
    dispute: str | None = None  # reason of the open dispute
    promise: tuple[int, date] | None = None  # (promise id, promised date) of an active promise
    on_plan: bool = False  # covered by an active payment plan


class Contact(NamedTuple):  # NamedTuples: tens of thousands are made for every plan
    email: str
    name: str
    roles: frozenset[str]


class ClientState(NamedTuple):
    pk: int
    external_id: str
    name: str
    country: str
    timezone: str
    language: str
    contacts: tuple[Contact, ...] = ()
    sales_owner: str = ""
    delivery_lead: str = ""
    policy: str | None = None


@dataclass(frozen=True)
class People:
    """The organisation's own people, for internal roles."""

    leadership: tuple[str, ...] = ()
    accounting: tuple[str, ...] = ()
    fallback: str = ""  # the accounts address: an internal alert always reaches someone


@dataclass
class History:
    """What was done before: invoice pk -> the steps done for it (performed, skipped or in
    flight; any container of step ids: the snapshot shares one frozenset among the invoices
    that have the same steps, a big ledger has millions of records and a handful of such sets);
    client pk -> client-level step -> date performed; invoice pk -> date of the last message the
    client was sent about it; approval decisions ('approved' or 'rejected') by action key for
    client-level steps, and by (invoice pk, step) for invoice-level ones (an approval of a
    message covers each invoice in it, whatever it is later grouped with)."""

    done: dict[int, Collection[str]] = field(default_factory=dict)
    client_done: dict[int, dict[str, date]] = field(default_factory=dict)
    last_message: dict[int, date] = field(default_factory=dict)
    approvals: dict[str, str] = field(default_factory=dict)
    item_approvals: dict[tuple[int, str], str] = field(default_factory=dict)


class Item(NamedTuple):
    invoice_pk: int
    invoice_number: str
    step: str
    outstanding: Decimal
    currency: str
    due_date: date
    days_overdue: int


class Action(NamedTuple):
    key: str
    client_pk: int
    client_id: str
    step: str
    kind: str
    level: str
    status: str
    scheduled_for: date
    to: tuple[str, ...]
    cc: tuple[str, ...]
    items: tuple[Item, ...]
    reason: str
    template: str
    policy: str
    approval: bool = False
    skips: tuple[
        tuple[int, tuple[str, ...]], ...
    ] = ()  # (invoice pk, steps) left behind by catching up
    promise_id: int | None = None
    data: tuple[tuple[str, object], ...] = ()  # extra figures for the message (JSON values)


@dataclass(frozen=True, slots=True)
class Idle:
    """An open invoice that gets nothing today, and why."""

    client_id: str
    invoice_number: str
    reason: str
    next_step: str | None = None
    next_on: date | None = None


@dataclass(frozen=True, slots=True)
class BrokenPromise:
    promise_id: int
    invoice_pk: int
    invoice_number: str
    client_pk: int
    until: date


@dataclass(frozen=True)
class Plan:
    on: date
    actions: tuple[Action, ...]
    idle: tuple[Idle, ...] = ()
    broken: tuple[BrokenPromise, ...] = ()
    untold: Mapping[str, int] = field(default_factory=dict)  # statuses not asked for: counts

    def count(self, status: str) -> int:
        return self.untold.get(status, 0) + sum(1 for a in self.actions if a.status == status)


def make_key(step: str, client_id: str, items: Sequence[tuple[str, str]] = ()) -> str:
    """`nudge-2/C001/INV-7+INV-9@nudge-1`: the top step, the client, and each invoice (with its
    own step where it differs). Long keys end in a hash instead of the invoice list."""
    if not items:  # a client-level step
        return f"{step}/{client_id}"
    if len(items) == 1:  # most keys: one invoice
        ((number, s),) = items
        parts = [number if s == step else f"{number}@{s}"]
    else:
        parts = sorted(number if s == step else f"{number}@{s}" for number, s in items)
    key = f"{step}/{client_id}" + (f"/{'+'.join(parts)}" if parts else "")
    if len(key) > 180:
        digest = hashlib.sha256("+".join(parts).encode()).hexdigest()[:32]
        key = f"{step}/{client_id}/{len(parts)}-invoices-{digest}"
    return key


def plan(
    clients: Mapping[int, ClientState],
    invoices: Iterable[InvoiceState],
    policies: Mapping[str, Policy],
    history: History,
    people: People,
    on: date,
    *,
    explain: bool = False,
    want: frozenset[str] = EVERY,
) -> Plan:
    """Everything due on `on`. `invoices` are the open ones (any order). Actions of a status
    not in `want` are only counted (`Plan.untold`): `apply` needs the due ones, and building
    the waiting and blocked ones (items, keys, reasons) would cost most of the planning."""
    by_client: dict[int, list[InvoiceState]] = {}
    get = by_client.get
    for inv in invoices:
        found = get(inv[2])  # client_pk; by index: this loop sees every open invoice
        if found is None:
            by_client[inv[2]] = [inv]
        else:
            found.append(inv)
    actions: list[Action] = []
    idle: list[Idle] = []
    broken: list[BrokenPromise] = []
    ladders: dict[str, dict] = {}
    untold: dict[str, int] = defaultdict(int)
    for _, client_pk in sorted([(clients[pk].external_id, pk) for pk in by_client]):
        client = clients[client_pk]
        planning = _Client(client, by_client[client_pk], policies, history, people, on, explain)
        planning.ladders = ladders.setdefault(client.country, {})
        planning.want, planning.untold = want, untold
        planning.why = explain or WAITING in want or BLOCKED in want
        planning.run(actions, idle, broken)
    return Plan(on, tuple(actions), tuple(idle), tuple(broken), dict(untold))


@dataclass(frozen=True, slots=True)
class _Ladder:
    """Where an invoice due on a given day stands on the plan day. It is the same for every
    invoice of one country and policy due that day, so it is worked out once for all of them:
    a million invoices cost a few thousand calendar walks."""

    dates: tuple[date, ...]  # each message step's date
    current: int | None  # the most advanced message step whose date has come
    step: Step | None  # that step
    earlier: tuple[str, ...]  # the message steps before it (skipped if never sent)
    levers: tuple[tuple[int, Step], ...]  # lever steps whose date has come (index among levers)
    others: tuple[Step, ...]  # internal and recommendation steps whose date has come


def _ladder(policy: Policy, due: date, cal: BusinessCalendar, on: date) -> _Ladder:
    """Message steps keep their order and their own days: a step's date is the first business
    day on or after due + offset, and after the previous message step's date, so that holidays
    never fold two steps into one day."""
    dates: list[date] = []
    for s in policy.message_steps:
        d = s.date_for(due, cal)
        if dates and d <= dates[-1]:
            d = cal.on_or_after(dates[-1] + timedelta(days=1))
        dates.append(d)
    current = None
    for i in range(len(dates) - 1, -1, -1):
        if dates[i] <= on:
            current = i
            break
    levers = tuple((n, s) for n, s in enumerate(policy.lever_steps) if s.date_for(due, cal) <= on)
    others = tuple(s for s in policy.other_steps if s.date_for(due, cal) <= on)
    earlier = tuple(s.id for s in policy.message_steps[: current or 0])
    step = None if current is None else policy.message_steps[current]
    return _Ladder(tuple(dates), current, step, earlier, levers, others)


_NOTHING: dict = {}
_BY_DUE = attrgetter("due_date", "number")
_new = tuple.__new__  # a NamedTuple's own __new__ is a Python function: skipped in hot loops
if len(Item._fields) != 7 or len(Action._fields) != 18:  # built field by field below
    raise ImportError("Item or Action changed: update the planner's _new calls")


class _Client:
    """The planning of one client's invoices on one day."""

    want: frozenset[str] = EVERY
    untold: dict[str, int]
    why = True  # write the reasons of waiting and blocked steps

    def __init__(self, client, invoices, policies, history, people, on, explain):
        self.c = client
        self.invoices = sorted(invoices, key=_BY_DUE) if len(invoices) > 1 else invoices
        self.policies = policies
        self.default = policies["default"]
        self.h = history
        self.people = people
        self.on = on
        self.explain = explain
        self.cal: BusinessCalendar = calendar_for(client.country)
        self.business = self.cal.is_business_day(on)
        self.ladders: dict = {}
        self.recipients: dict[int, tuple] = {}

    def item(self, inv: InvoiceState, step: str) -> Item:
        return Item(
            inv.pk,
            inv.number,
            step,
            inv.outstanding,
            inv.currency,
            inv.due_date,
            (self.on - inv.due_date).days,
        )

    def ladder(self, policy: Policy, due: date) -> _Ladder:
        key = (policy.name, due)
        found = self.ladders.get(key)
        if found is None:
            found = self.ladders[key] = _ladder(policy, due, self.cal, self.on)
        return found

    def run(self, actions: list[Action], idle: list[Idle], broken: list[BrokenPromise]) -> None:
        c, explain = self.c, self.explain
        done_by_invoice = self.h.done
        policies, default, client_policy = self.policies, self.default, c.policy
        messages: list = []
        ladders = self.ladders
        levers: dict[str, dict] = {}
        others: dict[str, dict] = {}
        for inv in self.invoices:
            name = inv.policy or client_policy
            policy = policies.get(name, default) if name else default
            if inv.dispute or inv.on_plan or inv.promise:
                if not self._still_chased(inv, policy, actions, idle, broken):
                    continue
            if inv.outstanding < policy.minimum_amount:
                self._idle(
                    idle, inv, f"below the minimum of {policy.minimum_amount} {inv.currency}"
                )
                continue
            lad = ladders.get((policy.name, inv.due_date))
            if lad is None:
                lad = self.ladder(policy, inv.due_date)
            done = done_by_invoice.get(inv.pk, _NOTHING)
            step = lad.step
            if step is not None and step.id not in done:
                messages.append((inv, step, policy, done, lad.earlier))
            elif explain:
                self._explain_next(idle, inv, policy, lad)
            if lad.levers:
                self._levers(inv, policy, lad.levers, levers)
            if lad.others:
                self._others(inv, policy, lad.others, done, others)
        if messages:
            self._message_actions(messages, actions, idle)
        if levers:
            self._lever_actions(levers, actions, idle)
        if others:
            self._other_actions(others, actions)

    # -- per invoice -------------------------------------------------------------------------
    def _idle(self, idle, inv, reason, next_step=None, next_on=None):
        if self.explain:
            idle.append(Idle(self.c.external_id, inv.number, reason, next_step, next_on))

    def _still_chased(self, inv, policy, actions, idle, broken) -> bool:
        """Pauses: a dispute, a payment plan, a promise (until its date plus grace). A promise
        past its grace is broken: alerted, and the ladder resumes."""
        if inv.dispute:
            self._idle(idle, inv, f"paused: disputed ({inv.dispute})")
            return False
        if inv.on_plan:
            self._idle(idle, inv, "paused: covered by a payment plan")
            return False
        pid, until = inv.promise
        grace_end = until + timedelta(days=policy.promise_grace_days)
        if self.on <= grace_end:
            self._idle(idle, inv, f"paused: promised to pay by {until} (grace until {grace_end})")
            return False
        broken.append(BrokenPromise(pid, inv.pk, inv.number, self.c.pk, until))
        actions.append(self._promise_alert(inv, pid, until, policy))
        return True

    def _explain_next(self, idle, inv, policy, lad) -> None:
        steps, cur = policy.message_steps, lad.current
        nxt = 0 if cur is None else cur + 1
        if nxt < len(steps):
            self._idle(
                idle,
                inv,
                f"next step {steps[nxt].id} on {lad.dates[nxt]}",
                steps[nxt].id,
                lad.dates[nxt],
            )
        else:
            self._idle(idle, inv, "every message step has been sent")

    def _levers(self, inv, policy, due_levers, levers) -> None:
        on, done_client = self.on, self.h.client_done.get(self.c.pk, _NOTHING)
        for n, lever in due_levers:
            if lever.id in done_client:
                continue
            slot = levers.get(lever.id)
            if slot is None:
                slot = levers[lever.id] = {
                    "step": lever,
                    "policy": policy,
                    "ready": [],
                    "waiting": [],
                    "blocked": [],
                }
            why = self.why
            if lever.gate and lever.gate not in inv.clauses:
                where = f"contract {inv.contract}" if inv.contract else "no contract"
                slot["blocked"].append((inv, why and f"{inv.number}: {where} has no {lever.gate}"))
                continue
            for e in policy.lever_steps[:n]:
                if (not e.gate or e.gate in inv.clauses) and e.id not in done_client:
                    slot["waiting"].append(
                        (inv, why and f"{inv.number}: waiting for {e.id} to be performed first")
                    )
                    return
            last = self.h.last_message.get(inv.pk)
            if last is None:
                slot["waiting"].append(
                    (inv, why and f"{inv.number}: no message has been sent about it yet")
                )
                return
            ready_on = last + timedelta(days=policy.notice_days)
            if ready_on > on:
                slot["waiting"].append(
                    (
                        inv,
                        why
                        and f"{inv.number}: waiting until {ready_on} "
                        f"({policy.notice_days} days' notice after the message of {last})",
                    )
                )
                return
            slot["ready"].append(inv)
            return

    def _others(self, inv, policy, due_others, done, others) -> None:
        done_client = self.h.client_done.get(self.c.pk, _NOTHING)
        for step in due_others:
            if (step.id in done_client) if step.level == "client" else (step.id in done):
                continue
            slot = others.get(step.id)
            if slot is None:
                slot = others[step.id] = {
                    "step": step,
                    "policy": policy,
                    "ready": [],
                    "blocked": [],
                }
            if step.gate and step.gate not in inv.clauses:
                slot["blocked"].append((inv, self.why and f"{inv.number}: no {step.gate}"))
            else:
                slot["ready"].append(inv)

    # -- per client --------------------------------------------------------------------------
    def _message_actions(self, messages, actions, idle) -> None:
        if not self.business:
            why = self.cal.why_not(self.on)
            for inv, step, *_ in messages:
                sid = step.id
                self._idle(
                    idle,
                    inv,
                    f"{sid} waits for a business day: {why}",
                    sid,
                    self.cal.on_or_after(self.on),
                )
            return
        ready, approved, pending, blocked = [], [], [], []
        for entry in messages:
            inv, s = entry[0], entry[1]
            if s.gate and s.gate not in inv.clauses:
                blocked.append((entry, f"{inv.number}: contract has no {s.gate}"))
            elif not s.approval:
                ready.append(entry)
            else:
                decision = self.h.item_approvals.get((inv.pk, s.id))
                if decision == "approved":
                    approved.append(entry)
                elif decision == "rejected":
                    blocked.append((entry, f"{inv.number}: {s.id} was rejected"))
                else:
                    pending.append(entry)
        if ready:
            self._message_action(ready, DUE, "", actions)
        if approved:
            self._message_action(approved, DUE, "approved", actions)
        if pending and self.wanted(NEEDS_APPROVAL):
            self._message_action(
                pending, NEEDS_APPROVAL, "needs an approval by an owner or leadership", actions
            )
        for (inv, s, policy, *_), reason in blocked:
            if self.wanted(BLOCKED):
                actions.append(self._action(s, policy, [self.item(inv, s.id)], BLOCKED, reason))

    def wanted(self, status: str) -> bool:
        """Whether to build an action of `status`; if not, it is counted."""
        if status in self.want:
            return True
        self.untold[status] += 1
        return False

    def _message_action(self, group, status, reason, actions) -> None:
        top = group[0] if len(group) == 1 else max(group, key=lambda e: e[2].rank(e[1].id))
        step, policy = top[1], top[2]
        items, skips, pairs = [], [], []
        on = self.on
        for inv, s, _, done, earlier in group:
            pk, number, _, _, due, currency, owed = inv[:7]
            sid = s.id
            items.append(_new(Item, (pk, number, sid, owed, currency, due, (on - due).days)))
            pairs.append((number, sid))
            if earlier:
                skips.append(
                    (pk, tuple(sid for sid in earlier if sid not in done) if done else earlier)
                )
        key = make_key(step.id, self.c.external_id, pairs)
        if status == NEEDS_APPROVAL:
            reason = f"{step.id} {reason}"
        action = self._action(step, policy, items, status, reason, key=key, skips=tuple(skips))
        actions.append(action)
        if status == DUE and any(e[1].notify for e in group):
            self._notify(group, actions)

    def _approval(self, key: str, step: Step) -> tuple[str, str]:
        decision = self.h.approvals.get(key)
        if decision == "approved":
            return DUE, "approved"
        if decision == "rejected":
            return BLOCKED, "rejected by a person"
        return NEEDS_APPROVAL, f"{step.id} needs an approval by an owner or leadership"

    def _notify(self, group, actions) -> None:
        """Internal alerts that ride along with a step (`notify` in the policy)."""
        by_step = defaultdict(list)
        for inv, s, policy, *_ in group:
            if s.notify:
                by_step[s.id].append((inv, s, policy))
        for sid, entries in by_step.items():
            s, policy = entries[0][1], entries[0][2]
            alert = f"{sid}-alert"
            items = tuple(self.item(inv, alert) for inv, _, _ in entries)
            key = make_key(alert, self.c.external_id, [(i.invoice_number, alert) for i in items])
            actions.append(
                Action(
                    key,
                    self.c.pk,
                    self.c.external_id,
                    alert,
                    "internal",
                    "invoice",
                    DUE,
                    self.on,
                    self._internal(s.notify),
                    (),
                    items,
                    f"{sid} sent to {self.c.name}",
                    "step-alert",
                    policy.name,
                )
            )

    def _lever_actions(self, levers, actions, idle) -> None:
        for sid, slot in levers.items():
            step, policy = slot["step"], slot["policy"]
            key = make_key(sid, self.c.external_id)
            if slot["ready"]:
                if not self.business:
                    why = self.cal.why_not(self.on)
                    for inv in slot["ready"]:
                        self._idle(idle, inv, f"{sid} waits for a business day: {why}")
                    continue
                status, reason = DUE, ""
                if step.approval:
                    status, reason = self._approval(key, step)
                if not self.wanted(status):
                    continue
                if status == NEEDS_APPROVAL:  # say what will run, on whom, under what
                    contracts = sorted({i.contract for i in slot["ready"] if i.contract})
                    reason += ": " + describe_lever(
                        sid, self.c.name, self.c.external_id, step.gate, contracts
                    )
                items = [self.item(inv, sid) for inv in slot["ready"]]
                if status == DUE and not reason:
                    clauses = f" under {step.gate}" if step.gate else ""
                    reason = f"{len(items)} invoice(s) past {step.offset_days} days{clauses}"
                actions.append(self._action(step, policy, items, status, reason, key=key))
            else:
                pairs = slot["waiting"] or slot["blocked"]
                status = WAITING if slot["waiting"] else BLOCKED
                if not self.wanted(status):
                    continue
                items = [self.item(inv, sid) for inv, _ in pairs]
                actions.append(
                    self._action(
                        step, policy, items, status, "; ".join(r for _, r in pairs), key=key
                    )
                )

    def _other_actions(self, others, actions) -> None:
        for sid, slot in others.items():
            step, policy = slot["step"], slot["policy"]
            if slot["ready"]:
                items = [self.item(inv, sid) for inv in slot["ready"]]
                pairs = () if step.level == "client" else [(i.invoice_number, sid) for i in items]
                key = make_key(sid, self.c.external_id, pairs)
                status, reason = DUE, f"{len(items)} invoice(s) past {step.offset_days} days"
                if step.approval:
                    status, reason = self._approval(key, step)
                if not self.wanted(status):
                    continue
                actions.append(self._action(step, policy, items, status, reason, key=key))
            elif slot["blocked"] and self.wanted(BLOCKED):
                items = [self.item(inv, sid) for inv, _ in slot["blocked"]]
                actions.append(
                    self._action(
                        step, policy, items, BLOCKED, "; ".join(r for _, r in slot["blocked"])
                    )
                )

    def _promise_alert(self, inv, pid, until, policy) -> Action:
        item = self.item(inv, "promise-broken")
        return Action(
            f"promise-broken/{self.c.external_id}/{pid}",
            self.c.pk,
            self.c.external_id,
            "promise-broken",
            "internal",
            "invoice",
            DUE,
            self.on,
            self._internal(("sales_owner",)),
            (),
            (item,),
            f"{inv.number}: the promise to pay by {until} was not kept",
            "promise-broken",
            policy.name,
            promise_id=pid,
        )

    # -- recipients --------------------------------------------------------------------------
    def _contacts(self, roles: tuple[str, ...], exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
        out: list[str] = []
        for role in roles:
            for contact in self.c.contacts:
                if (
                    role in contact.roles
                    and contact.email not in out
                    and contact.email not in exclude
                ):
                    out.append(contact.email)
        return tuple(out)

    def _internal(self, roles: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for role in roles:
            if role == "sales_owner":
                found: tuple[str, ...] = (self.c.sales_owner,) if self.c.sales_owner else ()
            elif role == "delivery_lead":
                found = (self.c.delivery_lead,) if self.c.delivery_lead else ()
            else:
                found = getattr(self.people, role)
            out.extend(e for e in found if e not in out)
        if not out and self.people.fallback:
            out.append(self.people.fallback)
        return tuple(out)

    def _recipients(self, step: Step) -> tuple[tuple[str, ...], tuple[str, ...]]:
        key = id(step)  # the policies' steps live through the planning
        found = self.recipients.get(key)
        if found is None:
            if step.kind in ("internal", "recommendation"):
                found = (self._internal(step.to), ())
            else:
                to = self._contacts(step.to)
                found = (to, self._contacts(step.cc, exclude=to))
            self.recipients[key] = found
        return found

    def _action(self, step, policy, items, status, reason, *, key=None, skips=()) -> Action:
        to, cc = self._recipients(step)
        if not to and status in (DUE, NEEDS_APPROVAL):
            status, reason = (
                BLOCKED,
                f"{self.c.external_id} has no {'/'.join(step.to)} contact to send to",
            )
        if key is None:
            key = make_key(step.id, self.c.external_id, [(i.invoice_number, i.step) for i in items])
        c = self.c
        return _new(  # every field of Action, in order
            Action,
            (
                key,
                c.pk,
                c.external_id,
                step.id,
                step.kind,
                step.level,
                status,
                self.on,
                to,
                cc,
                tuple(items),
                reason,
                step.template,
                policy.name,
                step.approval,
                tuple(skips),
                None,
                (),
            ),
        )


def forecast(
    clients, invoices, policies, history: History, people, start: date, days: int
) -> list[Action]:
    """The calendar of the next `days` days, assuming nobody pays and nobody approves: each
    day's due actions are taken as done; an action that waits or needs approval is listed on
    the first day it appears."""
    h = History(
        {k: set(v) for k, v in history.done.items()},
        {k: dict(v) for k, v in history.client_done.items()},
        dict(history.last_message),
        dict(history.approvals),
        dict(history.item_approvals),
    )
    invoices = list(invoices)
    shown: set[tuple[str, str]] = set()
    out: list[Action] = []
    for n in range(days):
        day = start + timedelta(days=n)
        result = plan(clients, invoices, policies, h, people, day)
        for a in result.actions:
            if a.status != DUE:
                if (a.key, a.status) not in shown:
                    shown.add((a.key, a.status))
                    out.append(a)
                continue
            out.append(a)
            for pk, steps in a.skips:
                for sid in steps:
                    h.done.setdefault(pk, set()).add(sid)
            for i in a.items:
                if a.level == "client":
                    h.client_done.setdefault(a.client_pk, {})[a.step] = day
                else:
                    h.done.setdefault(i.invoice_pk, set()).add(i.step)
                if a.kind in ("email", "letter", "lever"):
                    h.last_message[i.invoice_pk] = day
        # a broken promise is marked once; the ladder then resumes
        if result.broken:
            gone = {b.invoice_pk for b in result.broken}
            invoices = [i._replace(promise=None) if i.pk in gone else i for i in invoices]
    return out
