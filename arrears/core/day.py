"""What one day's planning shares (`Day`: the policies, the history, each country's calendar
and ladders, the options) and one client's part of it (`ClientDay`: its country, recipients
and what it found so far), with the records the rules pass each other. The rules themselves
live in modules named for them; `core.client_day.plan_client` runs them in turn."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from arrears.core.actions import Action, BrokenPromise, Idle, Item, Status, make_key
from arrears.core.calendar import BusinessCalendar, calendar_for
from arrears.core.ladder import Ladder, ladder_for
from arrears.core.ledger_state import ClientState, History, InvoiceState, People
from arrears.core.policy import Policy, Step
from arrears.core.recipients import Recipients

DUE, NEEDS_APPROVAL, WAITING, BLOCKED = Status


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
        self.standings: dict[tuple, tuple] = {}  # shared by `lever_rules.group_levers`

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


class ClientDay:
    """One client's day: its country, recipients and what the rules found so far (`out`), and
    how the rules write it down: an idle invoice, an item, an action."""

    __slots__ = ("day", "client", "on", "country", "recipients", "out")

    def __init__(self, day: Day, client: ClientState):
        self.day = day
        self.client = client
        self.on = day.on
        self.country = day.country(client.country)
        self.recipients = Recipients(client, day.people, day.internal)
        self.out = ClientPlan()

    def idle(self, invoice: InvoiceState, reason: str, next_step=None, next_on=None) -> None:
        """Why `invoice` gets nothing today (written only when the plan is explained)."""
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
