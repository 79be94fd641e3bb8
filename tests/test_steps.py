"""The one step-date rule (docs/policy.md): on a date, an invoice gets its most advanced message
step whose date has come; when weekends or holidays bring two message steps to one day, the later
one is sent and the earlier skipped. No database: the planner, as a table of cases."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.core.calendar import calendar_for
from arrears.core.planner import ClientState, Contact, History, InvoiceState, People, plan
from arrears.core.policy import parse_policy
from arrears.core.steps import next_client_step

DEFAULT = parse_policy(
    (Path(__file__).parents[1] / "arrears/dunning/policies/default.yaml").read_text(),
    "default.yaml",
)
REGIONS = ["GB", "GB-ENG", "GB-SCT", "DE", "DE-BY", "FR", "NL", "IE", "US-NY", "ES", "IT", "AT"]
ALL_CLAUSES = frozenset(
    {"service_modification_clause", "stop_work_clause", "suspension_rights_clause"}
)


def client(country: str) -> ClientState:
    return ClientState(
        1,
        "C1",
        "Client 1",
        country,
        "Europe/London",
        "en",
        (Contact("ap@c.example", "AP", frozenset({"billing"})),),
    )


def invoice(due: date) -> InvoiceState:
    return InvoiceState(
        pk=1,
        number="INV-1",
        client_pk=1,
        issue_date=due - timedelta(days=30),
        due_date=due,
        currency="EUR",
        outstanding=Decimal("500.00"),
        contract="K1",
        clauses=ALL_CLAUSES,
        policy=None,
    )


def messages_sent(country: str, due: date, days: range) -> dict[date, tuple[str, set[str]]]:
    """Run the planner every day from `due + days.start` to `due + days.stop`, sending what it
    plans (an approval step approved): the day -> the message step sent, and the steps it
    skipped."""
    h = History(item_approvals={(1, s.id): "approved" for s in DEFAULT.steps if s.approval})
    sent: dict[date, tuple[str, set[str]]] = {}
    for n in days:
        on = due + timedelta(days=n)
        result = plan({1: client(country)}, [invoice(due)], {"default": DEFAULT}, h, People(), on)
        for a in result.actions:
            if a.kind in ("email", "letter") and a.status == "due":
                skipped = {s for _, steps in a.skips for s in steps}
                sent[on] = (a.step, skipped)
                h.done.setdefault(1, set()).update({a.step, *skipped})
                h.last_message[1] = on
    return sent


# -- the issue's examples ------------------------------------------------------------------------
def test_a_german_invoice_due_on_easter_saturday_gets_nudge_1_on_tuesday_and_no_due_reminder():
    # due Saturday 4 April 2026: `due` falls on Monday 6 April (Easter Monday) -> Tuesday 7 April,
    # where nudge-1 (+3) falls too; one message goes, nudge-1, and `due` is skipped
    sent = messages_sent("DE", date(2026, 4, 4), range(-5, 6))
    assert sent == {
        date(2026, 4, 1): ("upcoming", set()),
        date(2026, 4, 7): ("nudge-1", {"due"}),
    }


def test_a_french_invoice_due_on_the_tuesday_after_easter_gets_due_that_day():
    # upcoming (-3) is Saturday 4 April -> Tuesday 7 April (Easter Monday is a holiday in France)
    sent = messages_sent("FR", date(2026, 4, 7), range(-5, 3))
    assert sent == {date(2026, 4, 7): ("due", {"upcoming"})}


def test_a_british_invoice_due_after_the_spring_bank_holiday_gets_due_that_day():
    # upcoming (-3) is Saturday 23 May -> Tuesday 26 May (Monday 25 May is a bank holiday)
    sent = messages_sent("GB", date(2026, 5, 26), range(-5, 3))
    assert sent == {date(2026, 5, 26): ("due", {"upcoming"})}


def test_the_plan_explains_the_next_step_as_the_one_its_day_will_get():
    # after the upcoming reminder of 1 April, the next message day is Tuesday 7 April: nudge-1
    h = History(done={1: {"upcoming"}}, last_message={1: date(2026, 4, 1)})
    result = plan(
        {1: client("DE")},
        [invoice(date(2026, 4, 4))],
        {"default": DEFAULT},
        h,
        People(),
        date(2026, 4, 2),
        explain=True,
    )
    [idle] = result.idle
    assert (idle.reason, idle.next_step, idle.next_on) == (
        "next step nudge-1 on 2026-04-07",
        "nudge-1",
        date(2026, 4, 7),
    )


def test_the_next_step_a_message_announces_is_the_one_the_planner_sends_that_day():
    cal = calendar_for("DE")
    due = date(2026, 3, 31)  # nudge-1 (+3) is Good Friday, nudge-2 (+7) Tuesday 7 April
    nxt = next_client_step(DEFAULT, "due", due, cal, due, ALL_CLAUSES)
    assert (nxt.step.id, nxt.on) == ("nudge-2", date(2026, 4, 7))
    assert messages_sent("DE", due, range(0, 8))[date(2026, 4, 7)][0] == "nudge-2"
    # a lever waits for its notice after the message that announces it
    late = next_client_step(DEFAULT, "late-notice", due, cal, date(2026, 4, 28), ALL_CLAUSES)
    assert (late.step.id, late.on) == ("maintenance", date(2026, 5, 5))
    # without the clause, the next step is the next one the contract allows
    bare = next_client_step(DEFAULT, "late-notice", due, cal, date(2026, 4, 28), frozenset())
    assert (bare.step.id, bare.on) == ("final-demand", date(2026, 6, 15))
    assert next_client_step(DEFAULT, "promise-broken", due, cal, due, ALL_CLAUSES) is None


# -- for every region and due date ---------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    country=st.sampled_from(REGIONS),
    due=st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 1, 31)),
)
def test_a_holiday_never_causes_two_reminders_on_consecutive_business_days(country, due):
    cal = calendar_for(country)
    steps = DEFAULT.message_steps
    own = {s.id: s.date_for(due, cal) for s in steps}  # each step's own date
    sent = messages_sent(country, due, range(-5, 80))
    days = sorted(sent)
    for day in days:
        # the step a day gets is the most advanced one whose date is on or before it
        expected = [s.id for s in steps if own[s.id] <= day][-1]
        assert sent[day][0] == expected, (country, due, day)
        assert own[expected] == day  # sent on its own date: nothing pushed it later
    for before, after in zip(days, days[1:], strict=False):
        if cal.on_or_after(before + timedelta(days=1)) == after:
            # consecutive business days only when the later step's own day (due + offset)
            # is after the earlier message: never because a holiday pushed it there
            step = DEFAULT.step(sent[after][0])
            assert due + timedelta(days=step.offset_days) > before, (country, due, before, after)
    # the "next step on ..." line of each message names the next message the planner sends
    for before, after in zip(days, [*days[1:], None], strict=True):
        nxt = next_client_step(DEFAULT, sent[before][0], due, cal, before, frozenset())
        assert (nxt and (nxt.on, nxt.step.id)) == (after and (after, sent[after][0]))
    # every message step is sent or skipped, once
    seen = [s for day in days for s in (sent[day][0], *sent[day][1])]
    assert sorted(seen) == sorted(s.id for s in steps)
