"""A suspension (and a work stoppage) never runs without its clause, nor without an approval
given by a person in the same episode, in any order of events: days passing, approvals,
rejections, payments, clause changes. Checked on the pure planner with hypothesis; for a few
sequences end to end in tests/test_levers_episodes.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.core.levels import archived
from arrears.core.planner import (
    DUE,
    NEEDS_APPROVAL,
    ClientState,
    Contact,
    History,
    InvoiceState,
    People,
    make_key,
    plan,
)
from arrears.core.policy import parse_policy

POLICY = parse_policy(
    (Path(__file__).parents[1] / "arrears/dunning/policies/default.yaml").read_text(),
    "default.yaml",
)
LEVERS = {s.id for s in POLICY.steps if s.brings}  # the steps that change the service level
CLIENT = ClientState(
    1,
    "C1",
    "Acme",
    "GB",
    "Europe/London",
    "en",
    (Contact("ap@acme.example", "AP", frozenset({"billing"})),),
)
PEOPLE = People(("boss@us.example",), ("books@us.example",), "accounts@us.example")
CLAUSES = ("service_modification_clause", "stop_work_clause", "suspension_rights_clause")
GATED = {"work-stoppage": "stop_work_clause", "suspension": "suspension_rights_clause"}
START = date(2026, 3, 2)


@dataclass
class World:
    """What the engine and the levers remember, as plain values: the same bookkeeping as
    forecast() for performed actions, and the levers' end of an episode on payment."""

    dues: list[date]
    clauses: set[str] = field(default_factory=lambda: set(CLAUSES))
    day: date = START
    paid: set[int] = field(default_factory=set)
    history: History = field(default_factory=History)
    episode: int = 0
    triggers: set[int] = field(default_factory=set)
    approved_in: dict[str, int] = field(default_factory=dict)  # key -> episode of approval
    performed: list[tuple[date, str, frozenset[str], bool]] = field(default_factory=list)

    def invoices(self) -> list[InvoiceState]:
        return [
            InvoiceState(
                pk,
                f"INV-{pk}",
                1,
                due - timedelta(days=30),
                due,
                "GBP",
                Decimal("1000.00"),
                "K1",
                frozenset(self.clauses),
                None,
            )
            for pk, due in enumerate(self.dues, 1)
            if pk not in self.paid
        ]

    def plan(self):
        return plan(
            {1: CLIENT}, self.invoices(), {"default": POLICY}, self.history, PEOPLE, self.day
        )

    def pass_days(self, n: int) -> None:
        for _ in range(n):
            for a in self.plan().actions:
                if a.status == DUE:
                    self.perform(a)
            self.day += timedelta(days=1)

    def perform(self, a) -> None:
        h = self.history
        if a.step in LEVERS:
            approval = self.history.approvals.get(a.key)
            in_episode = self.approved_in.get(a.key) == self.episode + (not self.triggers)
            self.performed.append((self.day, a.step, frozenset(self.clauses), in_episode))
            assert approval == "approved" or a.step not in GATED
            if not self.triggers:
                self.episode += 1
            self.triggers |= {i.invoice_pk for i in a.items}
        for pk, steps in a.skips:
            for sid in steps:
                h.done.setdefault(pk, {})[sid] = self.day
        for i in a.items:
            if a.level == "client":
                h.client_done.setdefault(1, {})[a.step] = self.day
            else:
                h.done.setdefault(i.invoice_pk, {})[i.step] = self.day
            if a.kind in ("email", "letter", "lever"):
                h.last_message[i.invoice_pk] = self.day

    def decide(self, step: str, decision: str) -> None:
        """Like `arrears approve`: only what today's plan says needs an approval."""
        key = make_key(step, "C1")
        found = [a for a in self.plan().actions if a.key == key and a.status == NEEDS_APPROVAL]
        if found:
            self.history.approvals[key] = decision
            self.approved_in[key] = self.episode + (not self.triggers)

    def pay(self, n: int) -> None:
        self.paid.add(n)
        if self.triggers and self.triggers <= self.paid:  # restored: the episode ends
            for step in sorted(LEVERS):
                done = self.history.client_done.get(1, {})
                if step in done:
                    done[archived(step, self.episode)] = done.pop(step)
                key = make_key(step, "C1")
                if key in self.history.approvals:
                    self.history.approvals[archived(key, self.episode)] = (
                        self.history.approvals.pop(key)
                    )
                    self.approved_in.pop(key, None)
            self.triggers = set()


DAYS = st.tuples(st.just("days"), st.integers(1, 20))
APPROVE = st.tuples(st.just("approve"), st.sampled_from([*sorted(GATED), "pending"]))
# Days and approvals come more often than the rest, so that sequences reach the suspension.
events = st.lists(
    st.one_of(
        DAYS,
        DAYS,
        DAYS,
        APPROVE,
        APPROVE,
        st.tuples(st.just("reject"), st.sampled_from(sorted(GATED))),
        st.tuples(st.just("pay"), st.integers(1, 3)),
        st.tuples(st.just("clause"), st.sampled_from(CLAUSES), st.booleans()),
    ),
    min_size=8,
    max_size=50,
)


def play(world: World, sequence) -> World:
    for event in sequence:
        match event:
            case ("days", n):
                world.pass_days(n)
            case ("approve", "pending"):  # whatever the plan asks for today
                for step in GATED:
                    world.decide(step, "approved")
            case ("approve", step):
                world.decide(step, "approved")
            case ("reject", step):
                world.decide(step, "rejected")
            case ("pay", n):
                world.pay(n)
            case ("clause", name, present):
                (world.clauses.add if present else world.clauses.discard)(name)
    return world


@settings(max_examples=300, deadline=None)
@given(
    dues=st.lists(st.integers(0, 90), min_size=1, max_size=3),
    sequence=events,
)
def test_gated_levers_never_run_without_their_clause_and_an_approval_of_this_episode(
    dues, sequence
):
    # the random events, then two months of someone approving whatever is asked: a sequence
    # that reaches the suspension only through the gates
    tail = [("days", 10), ("approve", "pending")] * 6
    world = play(World([START - timedelta(days=d) for d in dues]), [*sequence, *tail])
    for day, step, clauses, approved_in_this_episode in world.performed:
        if step in GATED:
            assert GATED[step] in clauses, (day, step)
            assert approved_in_this_episode, (day, step)


def until_asked(world: World, step: str, limit: int = 60) -> None:
    """Let days pass until today's plan asks for an approval of `step`."""
    key = make_key(step, "C1")
    for _ in range(limit):
        if any(a.key == key and a.status == NEEDS_APPROVAL for a in world.plan().actions):
            return
        world.pass_days(1)
    raise AssertionError(f"{step} was never proposed")


def test_an_approval_does_not_carry_over_to_the_next_episode():
    # INV-1 is 70 days late: it gets the late notice, maintenance a week later, then the work
    # stoppage and the suspension once approved; then it is paid.
    world = World([START - timedelta(days=70), START + timedelta(days=60)])
    until_asked(world, "work-stoppage")
    world.decide("work-stoppage", "approved")
    until_asked(world, "suspension")
    world.decide("suspension", "approved")
    play(world, [("days", 1), ("pay", 1)])
    assert [s for _, s, _, _ in world.performed] == ["maintenance", "work-stoppage", "suspension"]
    # INV-2 later goes the same way: maintenance again, and the stoppage is asked for again
    until_asked(world, "work-stoppage", limit=200)
    assert [s for _, s, _, _ in world.performed][3:] == ["maintenance"]
