"""The service-level rules as tables: which level a step brings, which hooks a change runs, when
a client is restored. No database."""

from __future__ import annotations

import pytest

from arrears.core.levels import (
    EVENTS,
    Level,
    after_step,
    describe_lever,
    events,
    is_restored,
    parse_event,
    services,
)

N, M, S, X = Level.NORMAL, Level.MAINTENANCE, Level.STOPPED, Level.SUSPENDED


@pytest.mark.parametrize(
    "current, brings, expected",
    [
        (N, M, M),
        (N, S, S),  # a contract without the maintenance clause goes straight on
        (N, X, X),
        (M, S, S),
        (S, X, X),
        (S, M, S),  # a step never lowers the level
        (X, S, X),
        (X, X, X),
        (M, None, M),  # a step that brings no level (a message): nothing changes
        (N, None, N),
    ],
)
def test_a_lever_step_raises_the_level_and_never_lowers_it(current, brings, expected):
    assert after_step(current, brings) == expected


@pytest.mark.parametrize(
    "before, after, expected",
    [
        (N, M, ("enter:maintenance",)),
        (M, S, ("enter:stopped",)),
        # jumping two levels enters each level passed, in order
        (N, S, ("enter:maintenance", "enter:stopped")),
        (N, X, ("enter:maintenance", "enter:stopped", "enter:suspended")),
        # a restore undoes each level left, last thing first
        (X, N, ("restore:suspended", "restore:stopped", "restore:maintenance")),
        (S, N, ("restore:stopped", "restore:maintenance")),
        (X, S, ("restore:suspended",)),
        (M, M, ()),
    ],
)
def test_a_change_runs_the_hooks_of_each_level_passed(before, after, expected):
    assert events(before, after) == expected


@pytest.mark.parametrize(
    "triggers, still_open, restored",
    [
        ({1, 2}, set(), True),  # both paid
        ({1, 2}, {2}, False),  # one still open
        ({1}, {3}, True),  # another invoice being open does not hold the restore back
        (set(), set(), False),  # set by hand with nothing overdue: a person lifts it
    ],
)
def test_a_client_is_restored_when_every_triggering_invoice_is_closed(
    triggers, still_open, restored
):
    assert is_restored(triggers, still_open) is restored


def test_transitions_are_named_and_short_forms_are_understood():
    assert parse_event("suspend") == "enter:suspended"
    assert parse_event("restore") == "restore:suspended"
    assert parse_event("enter:stopped") in EVENTS
    with pytest.raises(ValueError, match="not a transition"):
        parse_event("enter:normal")


def test_the_maintenance_notice_uses_the_contracts_lists_else_the_standard_ones():
    reduced, continued = services("Feature work\n\nWeekly demo\n", "", "en")
    assert reduced == ("Feature work", "Weekly demo")
    assert continued == ("production incidents", "security fixes")
    reduced, _ = services("", "", "de")
    assert reduced[0] == "Arbeit an neuen Funktionen"


def test_the_approval_request_says_what_runs_on_whom_under_which_clause():
    text = describe_lever("suspension", "Acme", "C1", "suspension_rights_clause", ["K1"], X)
    assert text.startswith("Acme (C1) moves to suspended")
    assert "escrowed credentials are withheld" in text
    assert "under the suspension rights clause of contract K1" in text
