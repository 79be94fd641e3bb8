"""Where an invoice stands on its policy's ladder on the plan day: its message step by the one
step-date rule (`core.steps`), the levers and internal steps whose date has come. The same for
every invoice of one country and policy due the same day: `core.day.Country` works it out once
for all of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from arrears.core.calendar import BusinessCalendar
from arrears.core.policy import Policy, Step
from arrears.core.steps import current_message, message_dates


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
