"""Payment plans as pure rules: drafting the instalments, where a plan stands on a day, and
which reminders and alerts are due. Tables, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.core import instalments as rules
from arrears.core.instalments import Cadence, Instalment, OnMiss, PlanError, Terms

D = Decimal


def terms(total="1000.00", count=3, first=date(2026, 6, 1), **kw) -> Terms:
    return Terms(D(total), kw.pop("currency", "GBP"), count, first, **kw)


@pytest.mark.parametrize(
    "total, count, currency, amounts",
    [
        # 1000.00 / 3 = 333.333… -> 333.33 twice; the last takes 1000.00 - 666.66 = 333.34
        ("1000.00", 3, "GBP", ["333.33", "333.33", "333.34"]),
        # 100.00 / 7 = 14.2857… -> 14.28 six times (85.68); the last 100.00 - 85.68 = 14.32
        ("100.00", 7, "EUR", ["14.28"] * 6 + ["14.32"]),
        ("1200.00", 4, "GBP", ["300.00"] * 4),  # even split: no remainder
        ("10001", 3, "JPY", ["3333", "3333", "3335"]),  # no minor unit: whole yen
        ("0.05", 5, "GBP", ["0.01"] * 5),  # the smallest splittable amount
    ],
)
def test_instalments_split_the_total_and_the_last_takes_the_remainder(
    total, count, currency, amounts
):
    schedule = rules.draft(terms(total, count, currency=currency))
    assert [str(i.amount) for i in schedule] == amounts
    assert sum(i.amount for i in schedule) == D(total)


@pytest.mark.parametrize(
    "first, cadence, dates",
    [
        # the 31st clamps to short months and comes back where the month has one
        (
            date(2026, 1, 31),
            Cadence.MONTH,
            [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)],
        ),
        (
            date(2026, 11, 15),
            Cadence.MONTH,
            [date(2026, 11, 15), date(2026, 12, 15), date(2027, 1, 15), date(2027, 2, 15)],
        ),
        (
            date(2026, 6, 1),
            Cadence.TWO_WEEKS,
            [date(2026, 6, 1), date(2026, 6, 15), date(2026, 6, 29), date(2026, 7, 13)],
        ),
        (
            date(2026, 6, 1),
            Cadence.WEEK,
            [date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15), date(2026, 6, 22)],
        ),
    ],
)
def test_instalment_dates_follow_the_cadence(first, cadence, dates):
    schedule = rules.draft(terms("400.00", 4, first, cadence=cadence))
    assert [i.due for i in schedule] == dates


@pytest.mark.parametrize(
    "total, count, currency, fee, message",
    [
        ("0.04", 5, "GBP", "0", "cannot be split into 5 instalments"),
        ("100.001", 2, "GBP", "0", "not a whole number of GBP minor units"),
        ("100.00", 0, "GBP", "0", "at least one instalment"),
        ("100.00", 2, "GBP", "-5", "late fee -5 is not a whole amount"),
        ("100.00", 2, "GBP", "2.505", "late fee 2.505 is not a whole amount"),
    ],
)
def test_a_plan_that_cannot_be_drafted_says_why(total, count, currency, fee, message):
    with pytest.raises(PlanError, match=message):
        rules.draft(terms(total, count, currency=currency, late_fee=D(fee)))


def test_a_float_is_refused():
    with pytest.raises(TypeError, match="Decimal"):
        rules.draft(Terms(1000.0, "GBP", 3, date(2026, 6, 1)))  # type: ignore[arg-type]


# Three instalments of 300.00 on 1 June, 1 July, 1 August; grace 3 days, so an unpaid
# instalment is missed from the 4th.
PLAN = terms("900.00", 3, date(2026, 6, 1), late_fee=D("25.00"))
SCHEDULE = rules.draft(PLAN)


@pytest.mark.parametrize(
    "on, payments, statuses, missed",
    [
        (date(2026, 5, 28), [], ["upcoming", "upcoming", "upcoming"], ()),
        (date(2026, 6, 1), [], ["due", "upcoming", "upcoming"], ()),
        (date(2026, 6, 3), [], ["late", "upcoming", "upcoming"], ()),
        (date(2026, 6, 4), [], ["missed", "upcoming", "upcoming"], (1,)),
        # paid on the day: the first is paid, the rest upcoming
        (date(2026, 6, 4), [(date(2026, 6, 1), "300.00")], ["paid", "upcoming", "upcoming"], ()),
        # a payment after `on` does not count yet
        (
            date(2026, 6, 4),
            [(date(2026, 6, 5), "300.00")],
            ["missed", "upcoming", "upcoming"],
            (1,),
        ),
        # 450.00 pays the first and half the second; the second is missed on 4 July
        (
            date(2026, 7, 4),
            [(date(2026, 6, 1), "450.00")],
            ["paid", "missed", "upcoming"],
            (2,),
        ),
        (
            date(2026, 8, 10),
            [(date(2026, 6, 1), "300.00"), (date(2026, 7, 2), "600.00")],
            ["paid", "paid", "paid"],
            (),
        ),
    ],
)
def test_the_plan_on_a_day(on, payments, statuses, missed):
    day = rules.state(PLAN, SCHEDULE, [(d, D(a)) for d, a in payments], on)
    assert [s.status for s in day.instalments] == statuses
    assert day.missed == missed
    assert day.fees == D("25.00") * len(missed)
    assert day.complete == (statuses == ["paid"] * 3)
    assert day.work_may_continue == (statuses[0] == "paid")
    assert day.void == bool(missed)  # the default consequence


def test_a_miss_under_stop_work_asks_for_a_stoppage_and_does_not_void():
    plan = terms("900.00", 3, date(2026, 6, 1), on_miss=OnMiss.STOP_WORK)
    day = rules.state(plan, rules.draft(plan), [], date(2026, 6, 10))
    assert (day.stop_work, day.void) == (True, False)


@pytest.mark.parametrize(
    "on, payments, expected",
    [
        (date(2026, 5, 28), [], []),  # 4 days before: nothing yet
        (date(2026, 5, 29), [], [("plan-reminder", 1)]),  # -3
        (date(2026, 5, 31), [], [("plan-reminder", 1)]),  # caught up while still before
        (date(2026, 6, 1), [], []),  # the day itself: the reminder's time has passed
        (date(2026, 5, 29), [(date(2026, 5, 20), "300.00")], []),  # paid early: no reminder
        (date(2026, 6, 4), [], [("plan-overdue", 1), ("plan-missed", 1)]),  # +3: missed
        # paid first; -3 before the second
        (date(2026, 6, 28), [(date(2026, 6, 1), "300.00")], [("plan-reminder", 2)]),
        # voided by the first miss: nothing about later instalments
        (date(2026, 7, 29), [], [("plan-overdue", 1), ("plan-missed", 1)]),
    ],
)
def test_which_messages_a_plan_asks_for(on, payments, expected):
    day = rules.state(PLAN, SCHEDULE, [(d, D(a)) for d, a in payments], on)
    assert [(m.kind, m.number) for m in rules.due_messages(day)] == expected


def test_the_miss_messages_carry_what_is_owed_of_the_instalment():
    # 100.00 paid of the first 300.00: 200.00 is still owed of it
    day = rules.state(PLAN, SCHEDULE, [(date(2026, 6, 1), D("100.00"))], date(2026, 6, 4))
    [overdue, _] = rules.due_messages(day)
    assert (overdue.amount, overdue.owed) == (D("300.00"), D("200.00"))


@given(
    cents=st.integers(min_value=1, max_value=10**11),
    count=st.integers(min_value=1, max_value=120),
    currency=st.sampled_from(["GBP", "EUR", "JPY", "BHD"]),
    cadence=st.sampled_from(list(Cadence)),
)
def test_any_plan_adds_up_to_the_cent_and_holds_no_float(cents, count, currency, cadence):
    from arrears.core.money import quantum

    unit = quantum(currency)
    total = unit * cents
    if cents < count:
        with pytest.raises(PlanError):
            rules.draft(Terms(total, currency, count, date(2026, 1, 31), cadence))
        return
    schedule = rules.draft(Terms(total, currency, count, date(2026, 1, 31), cadence))
    assert sum(i.amount for i in schedule) == total
    assert len(schedule) == count
    assert all(isinstance(i.amount, Decimal) and i.amount > 0 for i in schedule)
    assert all(i.amount == i.amount.quantize(unit) for i in schedule)
    assert schedule[-1].amount >= schedule[0].amount  # the remainder never makes the last smaller
    assert [i.due for i in schedule] == sorted(i.due for i in schedule)
    assert not any(isinstance(v, float) for i in schedule for v in vars_of(i))


def vars_of(i: Instalment):
    return (i.number, i.due, i.amount)


@given(
    amounts=st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=24),
    received=st.integers(min_value=0, max_value=3 * 10**8),
)
def test_payments_fill_the_instalments_in_order_and_never_more_than_received(amounts, received):
    schedule = [
        Instalment(n + 1, date(2026, 1, 1), Decimal(a).scaleb(-2)) for n, a in enumerate(amounts)
    ]
    money = Decimal(received).scaleb(-2)
    paid = rules.paid_amounts(schedule, money)
    assert sum(paid) == min(money, sum(i.amount for i in schedule))
    assert all(Decimal(0) <= p <= i.amount for p, i in zip(paid, schedule, strict=True))
    # in order: nothing is paid of an instalment while an earlier one is short
    short = [n for n, (p, i) in enumerate(zip(paid, schedule, strict=True)) if p < i.amount]
    first_short = short[0] if short else None
    if first_short is not None:
        assert all(p == 0 for p in paid[first_short + 1 :])
