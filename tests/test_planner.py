"""The planner as a table of cases: ledger state in, actions out. No database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from arrears.core.planner import (
    ClientState,
    Contact,
    History,
    InvoiceState,
    People,
    PromiseState,
    forecast,
    make_key,
    plan,
)
from arrears.core.policy import parse_policy

DEFAULT = parse_policy(
    (Path(__file__).parents[1] / "arrears/dunning/policies/default.yaml").read_text(),
    "default.yaml",
)
POLICIES = {"default": DEFAULT}
PEOPLE = People(
    leadership=("boss@us.example",),
    accounting=("books@us.example",),
    fallback="accounts@us.example",
)
ALL_CLAUSES = frozenset(
    {"service_modification_clause", "stop_work_clause", "suspension_rights_clause"}
)
EARLY = ("upcoming", "due")


def client(pk=1, country="GB", ext=None):
    return ClientState(
        pk,
        ext or f"C{pk}",
        f"Client {pk}",
        country,
        "Europe/London",
        "en",
        (
            Contact("ap@c.example", "AP", frozenset({"billing"})),
            Contact("fin@c.example", "Fin", frozenset({"accounting"})),
            Contact("info@c.example", "", frozenset({"general"})),
            Contact("cto@c.example", "CTO", frozenset({"leadership", "technical"})),
        ),
        sales_owner="sam@us.example",
        delivery_lead="dev@us.example",
    )


def invoice(
    pk=1, due=date(2026, 3, 31), client_pk=1, outstanding="1000.00", clauses=ALL_CLAUSES, **kw
):
    return InvoiceState(
        pk,
        f"INV-{pk}",
        client_pk,
        due - timedelta(days=30),
        due,
        "GBP",
        Decimal(outstanding),
        "K1",
        clauses,
        None,
        **kw,
    )


def history(done=None, client_done=None, last_message=None, **kw):
    return History(done or {}, client_done or {}, last_message or {}, **kw)


def run(on, invoices, clients=None, h=None, explain=False):
    clients = clients or {1: client()}
    return plan(clients, invoices, POLICIES, h or history(), PEOPLE, on, explain=explain)


def steps(result, status="due"):
    return [(a.step, a.status) for a in result.actions if status is None or a.status == status]


# -- business days and holidays ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("country", "quiet", "reminded", "step"),
    [
        # Good Friday, Easter Monday: Tuesday 7 April is nudge-2's own day (+7), so nudge-2 goes
        # and nudge-1 is skipped (docs/policy.md: the later step of a shared day is performed)
        ("DE", [date(2026, 4, 3), date(2026, 4, 6)], date(2026, 4, 7), "nudge-2"),
        ("GB", [date(2026, 4, 3)], date(2026, 4, 6), "nudge-1"),  # Easter Monday is not UK-wide
        ("GB-ENG", [date(2026, 4, 3), date(2026, 4, 6)], date(2026, 4, 7), "nudge-2"),  # England
    ],
)
def test_nudge_1_waits_for_the_clients_next_business_day(country, quiet, reminded, step):
    clients = {1: client(country=country)}
    h = history(done={1: dict.fromkeys(EARLY, date(2026, 3, 31))})
    inv = invoice(due=date(2026, 3, 31))  # +3 days is Good Friday 2026-04-03
    for day in quiet:
        assert steps(run(day, [inv], clients, h)) == [], (country, day)
    result = run(reminded, [inv], clients, h)
    assert steps(result) == [(step, "due")]
    assert result.actions[0].scheduled_for == reminded


def test_explain_says_why_nothing_goes_out_on_a_holiday():
    h = history(done={1: {"upcoming": date(2026, 3, 27)}})
    result = run(date(2026, 4, 6), [invoice()], {1: client(country="DE")}, h, explain=True)
    assert result.actions == ()
    assert (
        result.idle[0].reason
        == "due waits for a business day: 2026-04-06 is a public holiday in DE (Easter Monday)"
    )
    h.done[1]["due"] = date(2026, 3, 31)
    result = run(date(2026, 4, 6), [invoice()], {1: client(country="DE")}, h, explain=True)
    assert result.idle[0].reason == "next step nudge-2 on 2026-04-07"


# -- catching up -------------------------------------------------------------------------------
def test_an_invoice_entered_20_days_late_gets_nudge_3_not_three_emails():
    result = run(date(2026, 4, 20), [invoice(due=date(2026, 3, 31))])
    msgs = [a for a in result.actions if a.kind == "email"]
    assert [(a.step, [i.step for i in a.items]) for a in msgs] == [("nudge-3", ["nudge-3"])]
    assert [(pk, set(steps)) for pk, steps in msgs[0].skips] == [
        (1, {"upcoming", "due", "nudge-1", "nudge-2"})
    ]
    alerts = [a for a in result.actions if a.kind == "internal"]
    assert [(a.step, a.to) for a in alerts] == [
        ("nudge-3-alert", ("sam@us.example", "boss@us.example"))
    ]


def test_a_message_already_sent_is_not_planned_again_and_the_key_is_stable():
    inv = invoice(due=date(2026, 5, 5))  # nudge-1 on Friday 8 May, nudge-2 on Tuesday 12 May
    friday = run(date(2026, 5, 8), [inv])
    monday = run(date(2026, 5, 11), [inv])  # not sent on Friday (say the mail server was down)
    assert (
        [a.key for a in friday.actions] == [a.key for a in monday.actions] == ["nudge-1/C1/INV-1"]
    )
    sent = history(
        done={
            1: {"upcoming": date(2026, 5, 1), "due": date(2026, 5, 5), "nudge-1": date(2026, 5, 8)}
        }
    )
    assert steps(run(date(2026, 5, 11), [inv], h=sent)) == []
    idle = run(date(2026, 5, 11), [inv], h=sent, explain=True).idle
    assert (idle[0].reason, idle[0].next_step) == ("next step nudge-2 on 2026-05-12", "nudge-2")


def test_when_holidays_bring_two_steps_to_one_day_the_later_goes_and_the_earlier_is_skipped():
    """In Germany nudge-1 (+3, Good Friday) moves to Tuesday 7 April, nudge-2's own day (+7):
    nudge-2 goes that day with nudge-1 skipped, and nothing follows on the 8th."""
    h = history(done={1: dict.fromkeys(EARLY, date(2026, 3, 31))})
    clients = {1: client(country="DE")}
    result = run(date(2026, 4, 7), [invoice()], clients, h)
    assert steps(result) == [("nudge-2", "due")]
    assert result.actions[0].skips == ((1, ("nudge-1",)),)
    h.done[1].update({"nudge-1": date(2026, 4, 7), "nudge-2": date(2026, 4, 7)})
    assert steps(run(date(2026, 4, 8), [invoice()], clients, h)) == []


# -- recipients ----------------------------------------------------------------------------------
def test_emails_go_to_billing_and_cc_accounting_and_from_nudge_1_the_general_alias():
    due = run(date(2026, 3, 31), [invoice(due=date(2026, 3, 31))]).actions[0]
    assert (due.step, due.to, due.cc) == ("due", ("ap@c.example",), ("fin@c.example",))
    nudge = run(date(2026, 4, 6), [invoice(due=date(2026, 3, 31))]).actions[0]
    assert (nudge.step, nudge.to, nudge.cc) == (
        "nudge-1",
        ("ap@c.example",),
        ("fin@c.example", "info@c.example"),
    )


def test_a_client_without_a_billing_contact_is_blocked_with_the_reason():
    bare = ClientState(1, "C1", "Bare", "GB", "Europe/London", "en", ())
    action = run(date(2026, 4, 6), [invoice()], {1: bare}).actions[0]
    assert action.status == "blocked" and "has no billing contact" in action.reason


# -- consolidation -------------------------------------------------------------------------------
def test_one_message_per_client_per_day_in_the_tone_of_the_most_advanced_step():
    invoices = [
        invoice(1, due=date(2026, 4, 13)),
        invoice(2, due=date(2026, 4, 9)),
        invoice(3, due=date(2026, 3, 20)),
    ]
    h = history(
        done={
            1: dict.fromkeys(["upcoming"], date(2026, 4, 10)),
            2: dict.fromkeys(["upcoming", "due"], date(2026, 4, 9)),
            3: dict.fromkeys(["upcoming", "due", "nudge-1", "nudge-2"], date(2026, 4, 1)),
        }
    )
    result = run(date(2026, 4, 13), invoices, h=h)
    emails = [a for a in result.actions if a.kind == "email"]
    assert len(emails) == 1
    assert emails[0].step == "late-notice"  # invoice 3 is 24 days late
    assert sorted((i.invoice_number, i.step) for i in emails[0].items) == [
        ("INV-1", "due"),
        ("INV-2", "nudge-1"),
        ("INV-3", "late-notice"),
    ]
    assert (3, ("nudge-3",)) in emails[0].skips  # sent up to nudge-2; nudge-3 is passed over


def test_consolidation_takes_the_top_step_and_lists_each_invoice_with_its_own():
    invoices = [invoice(1, due=date(2026, 4, 13)), invoice(2, due=date(2026, 4, 10))]
    h = history(
        done={
            1: {"upcoming": date(2026, 4, 9)},
            2: {"upcoming": date(2026, 4, 7), "due": date(2026, 4, 10)},
        }
    )
    [email] = [a for a in run(date(2026, 4, 13), invoices, h=h).actions if a.kind == "email"]
    assert email.step == "nudge-1"
    assert sorted((i.invoice_number, i.step) for i in email.items) == [
        ("INV-1", "due"),
        ("INV-2", "nudge-1"),
    ]
    assert email.key == "nudge-1/C1/INV-1@due+INV-2"
    assert email.cc == ("fin@c.example", "info@c.example")


def test_different_clients_get_different_messages():
    clients = {1: client(1), 2: client(2)}
    result = run(date(2026, 4, 2), [invoice(1, client_pk=1), invoice(2, client_pk=2)], clients)
    assert sorted(a.client_id for a in result.actions) == ["C1", "C2"]


# -- pauses --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"dispute": "quality"}, "paused: disputed (quality)"),
        ({"on_plan": True}, "paused: covered by a payment plan"),
        (
            {"promise": PromiseState(9, date(2026, 4, 20))},
            "paused: promised to pay by 2026-04-20 (grace until 2026-04-23)",
        ),
        ({"outstanding": "0.99"}, "below the minimum of 1.00 GBP"),
    ],
)
def test_nothing_is_planned_for_a_paused_invoice(kw, reason):
    result = run(date(2026, 4, 23), [invoice(**kw)], explain=True)
    assert result.actions == () and [i.reason for i in result.idle] == [reason]


def test_a_promise_past_its_grace_is_broken_alerted_and_the_ladder_resumes():
    inv = invoice(due=date(2026, 3, 31), promise=PromiseState(9, date(2026, 4, 20)))
    result = run(date(2026, 4, 24), [inv])
    assert [b.promise_id for b in result.broken] == [9]
    assert ("promise-broken", "due") in steps(result)
    alert = next(a for a in result.actions if a.step == "promise-broken")
    assert alert.to == ("sam@us.example",) and alert.key == "promise-broken/C1/9"
    assert ("late-notice", "due") in steps(result)  # 24 days late: the current step, not a replay


def test_a_partial_payment_changes_the_amount_not_the_ladder():
    full = run(date(2026, 4, 7), [invoice(outstanding="1000.00")]).actions[0]
    part = run(date(2026, 4, 7), [invoice(outstanding="400.00")]).actions[0]
    assert (full.step, full.key) == (part.step, part.key)
    assert part.items[0].outstanding == Decimal("400.00")


# -- levers, gates, approvals --------------------------------------------------------------------
def test_levers_never_surprise_a_client():
    """Imported 45 days late: first the late notice; maintenance a week after it."""
    inv = invoice(due=date(2026, 2, 13))
    day0 = date(2026, 3, 30)  # 45 days later, a Monday
    result = run(day0, [inv])
    assert ("late-notice", "due") in steps(result)
    waiting = [a for a in result.actions if a.step == "maintenance"]
    assert waiting[0].status == "waiting" and "no message has been sent" in waiting[0].reason
    sent = history(done={1: {"late-notice": day0}}, last_message={1: day0})
    mid = run(day0 + timedelta(days=3), [inv], h=sent)
    assert [(a.step, a.status) for a in mid.actions if a.step == "maintenance"] == [
        ("maintenance", "waiting")
    ]
    assert "waiting until 2026-04-06" in mid.actions[0].reason
    week = run(date(2026, 4, 6), [inv], h=sent)
    assert ("maintenance", "due") in steps(week)
    # work stoppage is past its date too, but waits for maintenance to be performed first
    assert [a.status for a in week.actions if a.step == "work-stoppage"] in ([], ["waiting"])


def test_a_gated_lever_without_its_clause_is_blocked_and_later_levers_do_not_wait_for_it():
    inv = invoice(due=date(2026, 2, 2), clauses=frozenset({"stop_work_clause"}))
    h = history(done={1: {"late-notice": date(2026, 3, 2)}}, last_message={1: date(2026, 3, 2)})
    result = run(date(2026, 3, 23), [inv], h=h)
    by_step = {a.step: a for a in result.actions}
    assert by_step["maintenance"].status == "blocked"
    assert "has no service_modification_clause" in by_step["maintenance"].reason
    assert by_step["work-stoppage"].status == "needs_approval"


def test_an_approval_step_waits_for_an_approval_then_is_due():
    inv = invoice(due=date(2026, 1, 5))
    h = history(
        done={1: {"late-notice": date(2026, 2, 2)}},
        last_message={1: date(2026, 2, 2)},
        client_done={1: {"maintenance": date(2026, 2, 9)}},
    )
    on = date(2026, 2, 23)
    ask = next(a for a in run(on, [inv], h=h).actions if a.step == "work-stoppage")
    assert ask.status == "needs_approval" and ask.key == "work-stoppage/C1"
    h.approvals[ask.key] = "approved"
    assert next(a for a in run(on, [inv], h=h).actions if a.step == "work-stoppage").status == "due"
    h.approvals[ask.key] = "rejected"
    assert (
        next(a for a in run(on, [inv], h=h).actions if a.step == "work-stoppage").status
        == "blocked"
    )


def test_an_approved_final_demand_stays_approved_when_another_invoice_joins():
    invs = [invoice(1, due=date(2026, 1, 2)), invoice(2, due=date(2026, 1, 9))]
    done = {pk: {"late-notice": date(2026, 2, 1)} for pk in (1, 2)}
    h = history(
        done=done,
        last_message={1: date(2026, 2, 1), 2: date(2026, 2, 1)},
        client_done={
            1: {s: date(2026, 2, 9) for s in ("maintenance", "work-stoppage", "suspension")}
        },
    )
    h.item_approvals[(1, "final-demand")] = "approved"
    result = run(date(2026, 3, 26), invs, h=h)  # invoice 2 reached final demand too
    letters = {
        a.status: [i.invoice_number for i in a.items] for a in result.actions if a.kind == "letter"
    }
    assert letters == {"due": ["INV-1"], "needs_approval": ["INV-2"]}


# -- weekends ------------------------------------------------------------------------------------
def test_on_a_weekend_nothing_client_facing_but_internal_alerts_still_go():
    inv = invoice(due=date(2026, 3, 31), promise=PromiseState(4, date(2026, 4, 1)))
    saturday = date(2026, 4, 18)
    result = run(saturday, [inv])
    assert [a.kind for a in result.actions] == ["internal"]
    assert result.actions[0].step == "promise-broken"


# -- the calendar --------------------------------------------------------------------------------
def test_the_calendar_of_the_next_days_assumes_nobody_pays():
    inv = invoice(due=date(2026, 4, 10))
    out = forecast({1: client()}, [inv], POLICIES, history(), PEOPLE, date(2026, 4, 6), 40)
    due = [(a.scheduled_for, a.step) for a in out if a.status == "due" and a.kind == "email"]
    assert due == [
        (date(2026, 4, 7), "upcoming"),
        (date(2026, 4, 10), "due"),
        (date(2026, 4, 13), "nudge-1"),
        (date(2026, 4, 17), "nudge-2"),
        (date(2026, 4, 24), "nudge-3"),
        (date(2026, 5, 1), "late-notice"),
    ]
    maintenance = [(a.scheduled_for, a.status) for a in out if a.step == "maintenance"]
    assert maintenance[-1] == (date(2026, 5, 11), "due")  # +30 is Sunday 10 May: Monday


def test_keys_are_made_of_what_the_action_is():
    assert (
        make_key("nudge-1", "C1", [("INV-2", "nudge-1"), ("INV-1", "due")])
        == "nudge-1/C1/INV-1@due+INV-2"
    )
    long = make_key("nudge-1", "C1", [(f"INV-{n:05d}", "nudge-1") for n in range(40)])
    assert len(long) < 120 and long == make_key(
        "nudge-1", "C1", [(f"INV-{n:05d}", "nudge-1") for n in reversed(range(40))]
    )


def test_apply_builds_only_the_due_actions_and_counts_the_others_alike():
    """`arrears apply` asks for the due actions only: they are the very ones of the full plan,
    and the others are counted, not lost (apply reports how many wait for an approval)."""
    clients = {pk: client(pk) for pk in (1, 2, 3)}
    invoices = [
        invoice(1, due=date(2026, 1, 5)),
        invoice(2, due=date(2026, 2, 2), clauses=frozenset({"stop_work_clause"})),
        invoice(3, due=date(2026, 2, 20), client_pk=2),  # no message yet: levers wait
        invoice(4, due=date(2026, 1, 2), client_pk=2, clauses=frozenset()),  # levers blocked
        invoice(5, due=date(2025, 12, 1), client_pk=3),
        invoice(6, due=date(2025, 12, 20), client_pk=3),
    ]
    h = history(
        done={1: {"late-notice": date(2026, 2, 2)}, 5: {"late-notice": date(2026, 1, 2)}},
        last_message={1: date(2026, 2, 2), 5: date(2026, 1, 2)},
        client_done={1: {"maintenance": date(2026, 2, 9)}},
    )
    seen = set()
    for n in range(0, 60, 3):
        on = date(2026, 2, 2) + timedelta(days=n)
        full = plan(clients, invoices, POLICIES, h, PEOPLE, on)
        due = plan(clients, invoices, POLICIES, h, PEOPLE, on, want=frozenset({"due"}))
        assert due.actions == tuple(a for a in full.actions if a.status == "due")
        for status in ("due", "needs_approval", "waiting", "blocked"):
            assert due.count(status) == full.count(status), (on, status)
            if full.count(status):
                seen.add(status)
    assert seen == {"due", "needs_approval", "waiting", "blocked"}, "the case covers every status"
