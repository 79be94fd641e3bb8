"""The one step-date rule: on which day each message step of an invoice falls, and which
message step a day gets.

- A step's date is the first business day of the client's country on or after the invoice's
  due date plus the step's offset (`Step.date_for`).
- On a date, an invoice's current message step is the most advanced message step whose date is
  on or before that date; earlier message steps never sent are recorded as skipped.
- So when weekends or holidays bring two message steps to the same day, the later one is
  performed and the earlier skipped: a holiday never causes two reminders on consecutive days.

The planner (`core.ladder`), the "next step on ..." line of a message (`dunning.compose`) and
the outbox all read step dates from here, with the policy the planner chose for the invoice.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from arrears.core.calendar import BusinessCalendar
from arrears.core.policy import Policy, Step


@dataclass(frozen=True, slots=True)
class StepOn:
    """A step and the day it is performed."""

    step: Step
    on: date


def message_dates(policy: Policy, due: date, calendar: BusinessCalendar) -> tuple[date, ...]:
    """Each message step's date, in the policy's order (never decreasing: offsets never go
    down, and the first business day on or after a later day is never earlier)."""
    return tuple(s.date_for(due, calendar) for s in policy.message_steps)


def current_message(dates: tuple[date, ...], on: date) -> int | None:
    """The index of the most advanced message step whose date is on or before `on`, if any."""
    n = bisect_right(dates, on)
    return n - 1 if n else None


def next_message(policy: Policy, dates: tuple[date, ...], on: date) -> StepOn | None:
    """The message an invoice gets next after `on`, when nothing is paid: on the first message
    date after `on`, the most advanced message step of that day."""
    n = bisect_right(dates, on)
    if n == len(dates):
        return None
    day = dates[n]
    return StepOn(policy.message_steps[bisect_right(dates, day) - 1], day)


def next_client_step(
    policy: Policy,
    after: str,
    due: date,
    calendar: BusinessCalendar,
    on: date,
    clauses: Collection[str],
) -> StepOn | None:
    """The client-facing step that follows `after` (sent on `on`) for an invoice due `due`
    whose contract has `clauses`, and its day: the next message day and the step it gets, or a
    lever, which waits `notice_days` after this message. None after the last step."""
    rank = policy.rank(after)
    if rank < 0:
        return None
    dates = message_dates(policy, due, calendar)
    for s in policy.steps[rank + 1 :]:
        if not s.client_facing or (s.gate and s.gate not in clauses):
            continue
        if s.kind == "lever":
            earliest = on + timedelta(days=policy.notice_days)
            return StepOn(s, calendar.on_or_after(max(s.date_for(due, calendar), earliest)))
        # one message a day: a step whose date has passed goes on the next business day
        day = calendar.on_or_after(max(s.date_for(due, calendar), on + timedelta(days=1)))
        current = policy.message_steps[current_message(dates, day)]
        if not (current.gate and current.gate not in clauses):
            return StepOn(current, day)
    return None
