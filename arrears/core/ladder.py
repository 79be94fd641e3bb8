"""One client's day on the ladder: where each open invoice stands (its ladder, worked out once
per country, policy and due date), the pauses, levers and their notice, gates and approvals,
then the client's actions, one message per day. `core.planner.plan` runs it for every client
with open invoices; the rules are listed there.

Written for a big ledger: hundreds of thousands of open invoices go through `ClientDay.run`,
so the hot loops read tuples by index and build records field by field.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter

from arrears.core.calendar import BusinessCalendar, calendar_for
from arrears.core.levels import describe_lever
from arrears.core.planner import (
    BLOCKED,
    DUE,
    NEEDS_APPROVAL,
    WAITING,
    Action,
    BrokenPromise,
    ClientState,
    Idle,
    InvoiceState,
    Item,
    make_key,
)
from arrears.core.policy import Policy, Step
from arrears.core.steps import current_message, message_dates, next_message


@dataclass(frozen=True, slots=True)
class Ladder:
    """Where an invoice due on a given day stands on the plan day. It is the same for every
    invoice of one country and policy due that day, so it is worked out once for all of them:
    a million invoices cost a few thousand calendar walks."""

    dates: tuple[date, ...]  # each message step's date
    current: int | None  # the most advanced message step whose date has come
    step: Step | None  # that step
    earlier: tuple[str, ...]  # the message steps before it (skipped if never sent)
    levers: tuple[tuple[int, Step], ...]  # lever steps whose date has come (index among levers)
    others: tuple[Step, ...]  # internal and recommendation steps whose date has come
    rank: int  # the step's place on its policy's ladder (the most advanced sets the tone)
    overdue: int  # days from the due date to the plan day


def ladder_for(policy: Policy, due: date, cal: BusinessCalendar, on: date) -> Ladder:
    """The invoice's message step on `on` by the one step-date rule (`core.steps`): the most
    advanced message step whose date has come; when holidays bring two steps to one day, the
    later one is performed and the earlier skipped."""
    dates = message_dates(policy, due, cal)
    current = current_message(dates, on)
    levers = tuple((n, s) for n, s in enumerate(policy.lever_steps) if s.date_for(due, cal) <= on)
    others = tuple(s for s in policy.other_steps if s.date_for(due, cal) <= on)
    earlier = tuple(s.id for s in policy.message_steps[: current or 0])
    step = None if current is None else policy.message_steps[current]
    rank = -1 if step is None else policy.rank(step.id)
    return Ladder(dates, current, step, earlier, levers, others, rank, (on - due).days)


_NOTHING: dict = {}
_BY_NUMBER, _BY_DUE = itemgetter(1), itemgetter(4)  # an InvoiceState's number, due date
_RANK = itemgetter(5)  # a message entry's rank
_new = tuple.__new__  # a NamedTuple's own __new__ is a Python function: skipped in hot loops
if len(Item._fields) != 7 or len(Action._fields) != 18 or len(InvoiceState._fields) != 13:
    raise ImportError("Item, Action or InvoiceState changed: update the planner's hot loops")


class Day:
    """What the planning of every client on one day shares: the policies, the history, each
    country's calendar and ladders, the people behind internal roles."""

    def __init__(self, policies, history, people, on, explain, want):
        self.policies = policies
        self.default = policies["default"]
        self.h = history
        self.people = people
        self.on = on
        self.explain = explain
        self.want = want
        self.untold: dict[str, int] = defaultdict(int)
        self.why = explain or WAITING in want or BLOCKED in want  # write reasons
        self.countries: dict[str, tuple[BusinessCalendar, bool, dict]] = {}
        self.internal: dict[tuple, tuple[str, ...]] = {}

    def country(self, code: str) -> tuple[BusinessCalendar, bool, dict]:
        """The country's calendar, whether the plan day is a business day there, and its
        ladders by (policy name, due date)."""
        found = self.countries.get(code)
        if found is None:
            cal = calendar_for(code)
            found = self.countries[code] = (cal, cal.is_business_day(self.on), {})
        return found

    def wanted(self, status: str) -> bool:
        """Whether to build an action of `status`; if not, it is counted."""
        if status in self.want:
            return True
        self.untold[status] += 1
        return False


class ClientDay:
    """The planning of one client's invoices on one day."""

    __slots__ = ("d", "c", "invoices", "on", "cal", "business", "ladders", "recipients")

    def __init__(self, day: Day, client: ClientState, invoices: list[InvoiceState]):
        if len(invoices) > 1:  # by due date, then number (the list is the plan's own)
            invoices.sort(key=_BY_NUMBER)
            invoices.sort(key=_BY_DUE)  # stable, and cheaper than a key of pairs
        self.d = day
        self.c = client
        self.invoices = invoices
        self.on = day.on
        self.cal, self.business, self.ladders = day.country(client.country)
        self.recipients: dict[int, tuple] | None = None

    def item(self, inv: InvoiceState, step: str) -> Item:
        on = self.on
        return _new(Item, (inv[0], inv[1], step, inv[6], inv[5], inv[4], (on - inv[4]).days))

    def ladder(self, policy: Policy, due: date) -> Ladder:
        found = self.ladders[(policy.name, due)] = ladder_for(policy, due, self.cal, self.on)
        return found

    def run(self, actions: list[Action], idle: list[Idle], broken: list[BrokenPromise]) -> None:
        d = self.d
        explain = d.explain
        done_by_invoice = d.h.done
        policies, default, client_policy = d.policies, d.default, self.c.policy
        messages: list = []
        ladders = self.ladders
        levers: dict[str, dict] = {}
        others: dict[str, dict] = {}
        for inv in self.invoices:
            name = inv[9] or client_policy  # the contract's policy, else the client's
            policy = policies.get(name, default) if name else default
            if inv[10] or inv[12] or inv[11]:  # disputed, on a payment plan, promised
                if not self._still_chased(inv, policy, actions, idle, broken):
                    continue
            if inv[6] < policy.minimum_amount:
                self._idle(
                    idle, inv, f"below the minimum of {policy.minimum_amount} {inv.currency}"
                )
                continue
            lad = ladders.get((policy.name, inv[4]))
            if lad is None:
                lad = self.ladder(policy, inv[4])
            done = done_by_invoice.get(inv[0], _NOTHING)
            step = lad.step
            if step is not None and step.id not in done:
                messages.append((inv, step, policy, done, lad, lad.rank))
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
        if self.d.explain:
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
        nxt = next_message(policy, lad.dates, self.on)
        if nxt is not None:
            self._idle(idle, inv, f"next step {nxt.step.id} on {nxt.on}", nxt.step.id, nxt.on)
        else:
            self._idle(idle, inv, "every message step has been sent")

    def _levers(self, inv, policy, due_levers, levers) -> None:
        d = self.d
        on, done_client, why = self.on, d.h.client_done.get(self.c.pk, _NOTHING), d.why
        clauses = inv[8]
        for n, lever in due_levers:
            lid = lever.id
            if lid in done_client:
                continue
            slot = levers.get(lid)
            if slot is None:
                slot = levers[lid] = (lever, policy, [], [], [])  # ready, waiting, blocked
            gate = lever.gate
            if gate and gate not in clauses:
                where = f"contract {inv.contract}" if inv.contract else "no contract"
                slot[4].append((inv, why and f"{inv.number}: {where} has no {gate}"))
                continue
            for e in policy.lever_steps[:n]:
                if (not e.gate or e.gate in clauses) and e.id not in done_client:
                    slot[3].append(
                        (inv, why and f"{inv.number}: waiting for {e.id} to be performed first")
                    )
                    return
            last = d.h.last_message.get(inv[0])
            if last is None:
                slot[3].append(
                    (inv, why and f"{inv.number}: no message has been sent about it yet")
                )
                return
            ready_on = last + timedelta(days=policy.notice_days)
            if ready_on > on:
                slot[3].append(
                    (
                        inv,
                        why
                        and f"{inv.number}: waiting until {ready_on} "
                        f"({policy.notice_days} days' notice after the message of {last})",
                    )
                )
                return
            slot[2].append(inv)
            return

    def _others(self, inv, policy, due_others, done, others) -> None:
        done_client = self.d.h.client_done.get(self.c.pk, _NOTHING)
        for step in due_others:
            if (step.id in done_client) if step.level == "client" else (step.id in done):
                continue
            slot = others.get(step.id)
            if slot is None:
                slot = others[step.id] = (step, policy, [], [])  # ready, blocked
            if step.gate and step.gate not in inv[8]:
                slot[3].append((inv, self.d.why and f"{inv.number}: no {step.gate}"))
            else:
                slot[2].append(inv)

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
        item_approvals = self.d.h.item_approvals
        for entry in messages:
            inv, s = entry[0], entry[1]
            if s.gate and s.gate not in inv[8]:
                blocked.append((entry, f"{inv.number}: contract has no {s.gate}"))
            elif not s.approval:
                ready.append(entry)
            else:
                decision = item_approvals.get((inv[0], s.id)) if item_approvals else None
                if decision == "approved":
                    approved.append(entry)
                elif decision == "rejected":
                    blocked.append((entry, f"{inv.number}: {s.id} was rejected"))
                else:
                    pending.append(entry)
        wanted = self.d.wanted
        if ready:
            self._message_action(ready, DUE, "", actions)
        if approved:
            self._message_action(approved, DUE, "approved", actions)
        if pending and wanted(NEEDS_APPROVAL):
            self._message_action(
                pending, NEEDS_APPROVAL, "needs an approval by an owner or leadership", actions
            )
        for (inv, s, policy, *_), reason in blocked:
            if wanted(BLOCKED):
                actions.append(self._action(s, policy, [self.item(inv, s.id)], BLOCKED, reason))

    def _message_action(self, group, status, reason, actions) -> None:
        top = group[0] if len(group) == 1 else max(group, key=_RANK)
        step, policy = top[1], top[2]
        items, skips, pairs = [], [], []
        notify = False
        for inv, s, _, done, lad, _ in group:
            pk, number, _, _, due, currency, owed, _, _, _, _, _, _ = inv
            sid = s.id
            items.append(_new(Item, (pk, number, sid, owed, currency, due, lad.overdue)))
            pairs.append((number, sid))
            earlier = lad.earlier
            if earlier:
                skips.append((pk, tuple(e for e in earlier if e not in done) if done else earlier))
            if s.notify:
                notify = True
        key = make_key(step.id, self.c.external_id, pairs)
        if status == NEEDS_APPROVAL:
            reason = f"{step.id} {reason}"
        action = self._action(step, policy, items, status, reason, key=key, skips=tuple(skips))
        actions.append(action)
        if notify and status == DUE:  # the alert also goes when the message is blocked
            self._notify(group, actions, action)

    def _approval(self, key: str, step: Step) -> tuple[str, str]:
        decision = self.d.h.approvals.get(key)
        if decision == "approved":
            return DUE, "approved"
        if decision == "rejected":
            return BLOCKED, "rejected by a person"
        return NEEDS_APPROVAL, f"{step.id} needs an approval by an owner or leadership"

    def _notify(self, group, actions, message: Action) -> None:
        """Internal alerts that ride along with a step (`notify` in the policy). Each carries
        the message's key, and its status and reason when it cannot be sent (no contact), so
        that the alert says what became of it (dunning/outcome.py)."""
        by_step = defaultdict(list)
        for inv, s, policy, *_ in group:
            if s.notify:
                by_step[s.id].append((inv, s, policy))
        c = self.c
        goes = message.status == DUE
        said = (("message", message.key), ("message_status", message.status))
        if not goes:
            said += (("message_reason", message.reason),)
        for sid, entries in by_step.items():
            s, policy = entries[0][1], entries[0][2]
            alert = f"{sid}-alert"
            items = tuple(self.item(inv, alert) for inv, _, _ in entries)
            key = make_key(alert, c.external_id, [(i[1], alert) for i in items])
            actions.append(
                _new(
                    Action,
                    (
                        key,
                        c.pk,
                        c.external_id,
                        alert,
                        "internal",
                        "invoice",
                        DUE,
                        self.on,
                        self._internal(s.notify),
                        (),
                        items,
                        f"{sid} for {c.name}" if goes else f"{sid} not sent: {message.reason}",
                        "step-alert",
                        policy.name,
                        False,
                        (),
                        None,
                        said,
                    ),
                )
            )

    def _lever_actions(self, levers, actions, idle) -> None:
        wanted = self.d.wanted
        for sid, (step, policy, ready, waiting, blocked) in levers.items():
            key = make_key(sid, self.c.external_id)
            if ready:
                if not self.business:
                    why = self.cal.why_not(self.on)
                    for inv in ready:
                        self._idle(idle, inv, f"{sid} waits for a business day: {why}")
                    continue
                status, reason = DUE, ""
                if step.approval:
                    status, reason = self._approval(key, step)
                if not wanted(status):
                    continue
                if status == NEEDS_APPROVAL:  # say what will run, on whom, under what
                    contracts = sorted({i.contract for i in ready if i.contract})
                    reason += ": " + describe_lever(
                        sid, self.c.name, self.c.external_id, step.gate, contracts
                    )
                items = [self.item(inv, sid) for inv in ready]
                if status == DUE and not reason:
                    clauses = f" under {step.gate}" if step.gate else ""
                    reason = f"{len(items)} invoice(s) past {step.offset_days} days{clauses}"
                actions.append(self._action(step, policy, items, status, reason, key=key))
            else:
                pairs = waiting or blocked
                status = WAITING if waiting else BLOCKED
                if not wanted(status):
                    continue
                items = [self.item(inv, sid) for inv, _ in pairs]
                actions.append(
                    self._action(
                        step, policy, items, status, "; ".join(r for _, r in pairs), key=key
                    )
                )

    def _other_actions(self, others, actions) -> None:
        wanted = self.d.wanted
        for sid, (step, policy, ready, blocked) in others.items():
            if ready:
                items = [self.item(inv, sid) for inv in ready]
                pairs = () if step.level == "client" else [(i[1], sid) for i in items]
                key = make_key(sid, self.c.external_id, pairs)
                status, reason = DUE, f"{len(items)} invoice(s) past {step.offset_days} days"
                if step.approval:
                    status, reason = self._approval(key, step)
                if not wanted(status):
                    continue
                actions.append(self._action(step, policy, items, status, reason, key=key))
            elif blocked and wanted(BLOCKED):
                items = [self.item(inv, sid) for inv, _ in blocked]
                actions.append(
                    self._action(step, policy, items, BLOCKED, "; ".join(r for _, r in blocked))
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
        """The addresses behind internal roles; the same for every client with the same sales
        owner and delivery lead."""
        c = self.c
        key = (roles, c.sales_owner, c.delivery_lead)
        found = self.d.internal.get(key)
        if found is None:
            people = self.d.people
            out: list[str] = []
            for role in roles:
                if role == "sales_owner":
                    got: tuple[str, ...] = (c.sales_owner,) if c.sales_owner else ()
                elif role == "delivery_lead":
                    got = (c.delivery_lead,) if c.delivery_lead else ()
                else:
                    got = getattr(people, role)
                out.extend(e for e in got if e not in out)
            if not out and people.fallback:
                out.append(people.fallback)
            found = self.d.internal[key] = tuple(out)
        return found

    def _recipients(self, step: Step) -> tuple[tuple[str, ...], tuple[str, ...]]:
        known = self.recipients
        if known is None:
            known = self.recipients = {}
        key = id(step)  # the policies' steps live through the planning
        found = known.get(key)
        if found is None:
            if step.kind in ("internal", "recommendation"):
                found = (self._internal(step.to), ())
            else:
                to = self._contacts(step.to)
                found = (to, self._contacts(step.cc, exclude=to))
            known[key] = found
        return found

    def _action(self, step, policy, items, status, reason, *, key=None, skips=()) -> Action:
        to, cc = self._recipients(step)
        if not to and status in (DUE, NEEDS_APPROVAL):
            status, reason = (
                BLOCKED,
                f"{self.c.external_id} has no {'/'.join(step.to)} contact to send to",
            )
        if key is None:
            key = make_key(step.id, self.c.external_id, [(i[1], i[2]) for i in items])
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
