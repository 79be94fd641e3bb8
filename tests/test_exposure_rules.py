"""The exposure and escalation rules as tables, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from arrears.core import escalation
from arrears.core.aging import Receivable
from arrears.core.exposure import (
    Entry,
    Exposure,
    Terms,
    combined_limit,
    days_to_limit,
    expose,
    in_force,
    summarise,
    totals,
)
from arrears.core.planner import People

ON = date(2026, 3, 31)  # the burn window is 18 March to 31 March

ENTRIES = [
    Entry("C1", date(2026, 3, 20), D("8"), D("100"), D("60")),  # unbilled, in the window
    Entry("C1", date(2026, 3, 1), D("10"), D("100"), D("60"), billed_on=date(2026, 3, 15)),
    # billed by an invoice issued after D: still unbilled work on D
    Entry("C1", date(2026, 3, 30), D("4"), D("120"), D("70"), billed_on=date(2026, 4, 2)),
    Entry("C1", date(2026, 4, 1), D("6"), D("100"), D("60")),  # after D: not counted at all
]
RECEIVABLES = [
    Receivable("C1", "Acme", "GBP", date(2026, 3, 10), D("500.00")),  # overdue
    Receivable("C1", "Acme", "GBP", date(2026, 3, 31), D("700.00")),  # due on D: current
]


def one(terms, receivables=RECEIVABLES, entries=ENTRIES, on=ON) -> Exposure:
    [row] = expose([terms], receivables, summarise(entries, on), on)
    return row


def test_the_worked_example_adds_up_by_hand():
    row = one(Terms("C1", "Acme", "GBP", received=D("1000.00"), credit_limit=D("5000.00")))
    # unbilled: 8h x 100 + 4h x 120 = 800 + 480 = 1,280.00
    assert row.unbilled_wip == D("1280.00")
    # burn: the same two entries fall in the 14 days: 1,280 / 14 = 91.428.. -> 91.43
    assert row.daily_burn == D("91.43")
    # cost to date: 8 x 60 + 10 x 60 + 4 x 70 = 480 + 600 + 280 = 1,360; less 1,000 received
    assert row.uncovered_cost == D("360.00")
    assert (row.overdue, row.current) == (D("500.00"), D("700.00"))
    # exposure 500 + 700 + 1,280 = 2,480; (5,000 - 2,480) / 91.43 = 27.56 -> 28 days
    assert row.exposure == D("2480.00") and row.days_to_limit == 28


@pytest.mark.parametrize(
    ("exposure", "limit", "burn", "days"),
    [
        (D("100"), D("1000"), D("30"), 30),  # 900 / 30 = 30 exactly: reached on day 30
        (D("100"), D("1000"), D("31"), 30),  # 29.03 -> the 30th day
        (D("1000"), D("1000"), D("0"), 0),  # at the limit: 0 whatever the burn
        (D("1500"), D("1000"), D("10"), 0),  # past it
        (D("100"), D("1000"), D("0"), None),  # not burning: never reached
        (D("100"), None, D("50"), None),  # no limit
    ],
)
def test_days_to_the_limit(exposure, limit, burn, days):
    assert days_to_limit(exposure, limit, burn) == days


@pytest.mark.parametrize(
    ("limits", "combined"),
    [
        ([D("1000"), D("2500")], D("3500")),  # each contract extends its own credit
        ([None, D("1000")], D("1000")),  # a contract without a limit adds none
        ([None], None),
        ([], None),
    ],
)
def test_several_contracts_limits_add_up(limits, combined):
    assert combined_limit(limits) == combined


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 3, 31), None, True),
        (date(2026, 4, 1), None, False),  # starts after D
        (date(2025, 1, 1), date(2026, 3, 31), True),  # ends on D: still in force that day
        (date(2025, 1, 1), date(2026, 3, 30), False),
    ],
)
def test_a_contract_is_in_force_from_its_start_to_its_end(start, end, expected):
    assert in_force(start, end, ON) is expected


def test_payments_beyond_the_cost_leave_nothing_uncovered():
    row = one(Terms("C1", "Acme", "GBP", received=D("5000.00")))
    assert row.uncovered_cost == D("0.00")
    assert row.credit_limit is None and row.days_to_limit is None


def test_a_client_with_no_recent_work_is_not_burning():
    old = [Entry("C1", date(2026, 1, 5), D("3"), D("100"), D("50"))]
    row = one(Terms("C1", "Acme", "GBP", credit_limit=D("9000")), entries=old)
    assert row.daily_burn == 0 and row.days_to_limit is None
    assert row.unbilled_wip == D("300.00") and row.uncovered_cost == D("150.00")


def test_receivables_in_another_currency_get_their_own_row_and_totals_never_mix():
    receivables = [*RECEIVABLES, Receivable("C1", "Acme", "EUR", date(2026, 2, 1), D("90.00"))]
    rows = expose(
        [Terms("C1", "Acme", "GBP"), Terms("C2", "Bolt", "GBP")],
        receivables,
        summarise([*ENTRIES, Entry("C2", date(2026, 3, 25), D("1"), D("50"), D("20"))], ON),
        ON,
    )
    assert [(r.client_id, r.currency) for r in rows] == [
        ("C1", "EUR"),
        ("C1", "GBP"),
        ("C2", "GBP"),
    ]
    assert rows[0].overdue == D("90.00") and rows[0].unbilled_wip == 0
    eur, gbp = totals(rows)
    assert (eur.currency, eur.overdue, eur.client_id) == ("EUR", D("90.00"), None)
    assert gbp.unbilled_wip == D("1280.00") + D("50.00")


def test_a_client_with_nothing_to_show_has_no_row():
    assert expose([Terms("C9", "Idle", "GBP", credit_limit=D("100"))], [], [], ON) == ()


# -- escalation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reason", "engagement", "roles", "drift", "suggests"),
    [
        ("administrative", "tm", ("accounting",), False, False),
        ("missing-po", "fixed", ("accounting",), False, False),
        ("wrong-entity", None, ("accounting",), False, False),
        ("vendor-setup", "tm", ("accounting",), False, False),
        ("cash-flow", "retainer", ("leadership",), False, True),  # offer a payment plan
        ("quality", "tm", ("delivery_lead",), False, False),
        ("approval-pending", "tm", ("leadership",), True, True),  # drifting to milestones
        ("approval-pending", "milestone", ("sales_owner",), False, False),
        ("other", "tm", ("sales_owner", "accounting"), False, False),
    ],
)
def test_a_dispute_goes_to_whoever_can_act_on_its_reason(
    reason, engagement, roles, drift, suggests
):
    route = escalation.route_dispute(reason, engagement)
    assert route.roles == roles and route.drift is drift and bool(route.suggestion) is suggests


PEOPLE = People(("boss@n.example",), ("ap@n.example",), "accounts@n.example")


@pytest.mark.parametrize(
    ("roles", "sales", "lead", "expected"),
    [
        (("leadership", "sales_owner"), "sam@n.example", "", ("boss@n.example", "sam@n.example")),
        (("delivery_lead",), "", "dev@n.example", ("dev@n.example",)),
        (("delivery_lead",), "", "", ("accounts@n.example",)),  # always reaches someone
        (("leadership", "leadership"), "", "", ("boss@n.example",)),
    ],
)
def test_internal_roles_become_addresses(roles, sales, lead, expected):
    got = escalation.recipients(roles, PEOPLE, sales_owner=sales, delivery_lead=lead)
    assert got == expected


def row(exposure_parts=(D("0"), D("0"), D("0")), limit=None) -> Exposure:
    overdue, current, wip = exposure_parts
    return Exposure("C1", "Acme", "GBP", overdue, current, wip, credit_limit=limit)


@pytest.mark.parametrize(
    ("parts", "limit", "late", "reasons"),
    [
        ((D(100), D(0), D(0)), D(1000), [], 0),
        ((D(600), D(300), D(100)), D(1000), [], 1),  # 1,000 reached exactly
        ((D(100), D(0), D(0)), None, [escalation.LateInvoice("INV-1", 31, 30)], 1),
        ((D(100), D(0), D(0)), None, [escalation.LateInvoice("INV-1", 30, 30)], 0),  # not past
        ((D(100), D(0), D(0)), None, [escalation.LateInvoice("INV-1", 99, None)], 0),  # no term
        (
            (D(900), D(0), D(200)),
            D(1000),
            [escalation.LateInvoice("INV-1", 50, 45), escalation.LateInvoice("INV-2", 60, 45)],
            3,
        ),
    ],
)
def test_a_stand_down_is_recommended_past_the_limit_or_the_stop_work_threshold(
    parts, limit, late, reasons
):
    rec = escalation.stand_down(row(parts, limit), late)
    assert (len(rec.reasons) if rec else 0) == reasons
    if rec:
        assert dict(rec.figures)["exposure"] == f"{sum(parts)}.00 GBP"


def test_the_stand_down_lists_the_oldest_invoice_first_with_its_figures():
    rec = escalation.stand_down(
        row((D(900), D(0), D(200)), D(1000)),
        [escalation.LateInvoice("INV-1", 50, 45), escalation.LateInvoice("INV-2", 60, 45)],
    )
    assert rec.reasons == (
        "exposure 1100.00 GBP has reached the credit limit of 1000.00 GBP",
        "invoice INV-2 is 60 days overdue, past the contract's stop-work threshold of 45 days",
        "invoice INV-1 is 50 days overdue, past the contract's stop-work threshold of 45 days",
    )


@pytest.mark.parametrize(
    ("invoice", "day", "episode"),
    [
        ("INV-7", "2026-01-02", "INV-7"),
        (None, "2026-01-02", "unbilled-2026-01-02"),
        (None, None, "none"),
    ],
)
def test_an_episode_is_named_by_the_oldest_open_debt(invoice, day, episode):
    assert escalation.episode(invoice, day) == episode
