"""Late-payment interest as a court would check it: one worked example per jurisdiction,
computed by hand in the comments, with the reference rate read from a named row of the
packaged reference_rates.csv (so a corrected rate shows up here, not a stale constant).

Day counts are actual/365 unless a test says otherwise; each period is rounded half-up to the
cent and the total is the sum of the periods."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.core.interest import Clause, Debt, contractual_claim, statutory_claim
from arrears.core.latepayment import (
    RateHistory,
    packaged_rates,
    parse_reference_rates,
    rule_for,
    rules,
)
from arrears.core.money import Money
from arrears.core.problems import Problems

D = Decimal
HISTORY = RateHistory.of(packaged_rates())


def row(series: str, effective_from: str) -> Decimal:
    """The rate of one named row of arrears/data/reference_rates.csv."""
    [found] = [
        r.rate_pct
        for r in packaged_rates()
        if r.series == series and r.effective_from == date.fromisoformat(effective_from)
    ]
    return found


def claim(country, amount, currency, due, until, payments=(), **kw):
    debt = Debt(Money(D(amount), currency), date.fromisoformat(due), tuple(payments))
    return statutory_claim(debt, rule_for(country), HISTORY, date.fromisoformat(until), **kw)


def shown(c):
    return [
        (p.start.isoformat(), p.end.isoformat(), p.days, p.annual_rate_pct, p.interest)
        for p in c.periods
    ]


def test_the_data_has_every_jurisdiction_of_the_issue_with_its_series_points_and_fixing():
    r = rules()
    assert {k: (v.series, v.points, v.fixing, v.compound_yearly) for k, v in r.items()} == {
        "GB": ("BOE_BANK_RATE", D("8.0"), "held", False),
        "EU": ("ECB_MRO", D("8.0"), "half-yearly", False),
        "DE": ("DE_BASISZINSSATZ", D("9.0"), "half-yearly", False),
        "FR": ("ECB_MRO", D("10.0"), "half-yearly", False),
        "NL": ("ECB_MRO", D("8.0"), "half-yearly", True),
        "IE": ("ECB_MRO", D("8.0"), "half-yearly", False),
        "ES": ("ECB_MRO", D("8.0"), "half-yearly", False),
        "IT": ("ECB_MRO", D("8.0"), "half-yearly", False),
    }
    assert rule_for("AT").id == "EU" and rule_for("GB-SCT").id == "GB"
    assert rule_for("US") is None and rule_for("AU") is None


def test_uk_holds_the_bank_rate_of_the_preceding_31_december_for_the_whole_debt():
    # GBP 5,000 due 15 Mar 2025; interest runs from 16 Mar. The rate in force on 31 Dec 2024
    # is row BOE_BANK_RATE 2024-11-07 (4.75%), so 12.75% for the whole debt, although Bank
    # Rate fell on 6 Feb and 8 May 2025.
    # 16 Mar..13 Jun 2025 = 16 + 30 + 31 + 13 = 90 days
    # 5,000 x 12.75% x 90 / 365 = 157.1917... -> 157.19
    # compensation: 1,000 <= 5,000 < 10,000 -> GBP 70 (s.5A); total 5,000 + 157.19 + 70
    assert row("BOE_BANK_RATE", "2024-11-07") + 8 == D("12.75")
    c = claim("GB", "5000.00", "GBP", "2025-03-15", "2025-06-13")
    assert shown(c) == [("2025-03-16", "2025-06-13", 90, D("12.75"), D("157.19"))]
    assert (c.interest_total, c.compensation, c.total_claim) == (D("157.19"), D("70"), D("5227.19"))
    assert "Late Payment of Commercial Debts (Interest) Act 1998" in c.basis


def test_uk_interest_starting_in_july_takes_the_rate_of_30_june_and_the_lowest_tier():
    # GBP 800 due 10 Jul 2025, interest from 11 Jul: rate on 30 Jun 2025 is row
    # BOE_BANK_RATE 2025-05-08 (4.25%) -> 12.25%, held past the cuts of Aug and Dec 2025.
    # 11 Jul 2025..31 Jan 2026 = 21 + 31 + 30 + 31 + 30 + 31 + 31 = 205 days
    # 800 x 12.25% x 205 / 365 = 55.0410... -> 55.04; compensation GBP 40 (below 1,000)
    c = claim("GB", "800.00", "GBP", "2025-07-10", "2026-01-31")
    assert row("BOE_BANK_RATE", "2025-05-08") + 8 == D("12.25")
    assert shown(c) == [("2025-07-11", "2026-01-31", 205, D("12.25"), D("55.04"))]
    assert c.compensation == D("40")


@pytest.mark.parametrize(
    ("amount", "fixed"),
    [("999.99", "40"), ("1000.00", "70"), ("9999.99", "70"), ("10000.00", "100")],
)
def test_uk_compensation_follows_the_size_of_the_debt(amount, fixed):
    assert claim("GB", amount, "GBP", "2025-01-31", "2025-02-01").compensation == D(fixed)


def test_eu_default_moves_with_each_half_years_ecb_rate():
    # EUR 20,000 owed by an Austrian client (no rule of its own in the data: the Directive),
    # due 29 Nov 2024, interest from 30 Nov.
    # H2 2024: ECB rate in force on 1 Jul 2024 = row ECB_MRO 2024-06-12 (4.25%) -> 12.25%
    #   30 Nov..31 Dec = 32 days: 20,000 x 12.25% x 32 / 365 = 214.7945... -> 214.79
    # H1 2025: in force on 1 Jan 2025 = row ECB_MRO 2024-12-18 (3.15%) -> 11.15%
    #   1 Jan..28 Feb = 59 days: 20,000 x 11.15% x 59 / 365 = 360.4657... -> 360.47
    # interest 575.26; compensation EUR 40 (Art.6)
    assert row("ECB_MRO", "2024-06-12") == D("4.25") and row("ECB_MRO", "2024-12-18") == D("3.15")
    c = claim("AT", "20000.00", "EUR", "2024-11-29", "2025-02-28")
    assert shown(c) == [
        ("2024-11-30", "2024-12-31", 32, D("12.25"), D("214.79")),
        ("2025-01-01", "2025-02-28", 59, D("11.15"), D("360.47")),
    ]
    assert (c.interest_total, c.compensation) == (D("575.26"), D("40"))
    assert "Directive 2011/7/EU" in c.basis


def test_germany_is_basiszinssatz_plus_nine_points_per_half_year():
    # EUR 12,000 due 15 Jun 2023, interest from 16 Jun.
    # H1 2023: row DE_BASISZINSSATZ 2023-01-01 (1.62%) -> 10.62%
    #   16..30 Jun = 15 days: 12,000 x 10.62% x 15 / 365 = 52.3726... -> 52.37
    # H2 2023: row DE_BASISZINSSATZ 2023-07-01 (3.12%) -> 12.12%
    #   1 Jul..31 Aug = 62 days: 12,000 x 12.12% x 62 / 365 = 247.0487... -> 247.05
    # interest 299.42; compensation EUR 40 (s.288(5) BGB)
    assert row("DE_BASISZINSSATZ", "2023-01-01") + 9 == D("10.62")
    assert row("DE_BASISZINSSATZ", "2023-07-01") + 9 == D("12.12")
    c = claim("DE", "12000.00", "EUR", "2023-06-15", "2023-08-31")
    assert shown(c) == [
        ("2023-06-16", "2023-06-30", 15, D("10.62"), D("52.37")),
        ("2023-07-01", "2023-08-31", 62, D("12.12"), D("247.05")),
    ]
    assert (c.interest_total, c.compensation) == (D("299.42"), D("40"))
    assert c.basis.startswith("BGB (Buergerliches Gesetzbuch) (s.288(2) BGB): Basiszinssatz")


def test_france_is_the_ecb_rate_plus_ten_points():
    # EUR 3,000 due 31 May 2025, interest from 1 Jun.
    # H1 2025: row ECB_MRO 2024-12-18 (3.15%) -> 13.15%
    #   1..30 Jun = 30 days: 3,000 x 13.15% x 30 / 365 = 32.4246... -> 32.42
    # H2 2025: in force on 1 Jul 2025 = row ECB_MRO 2025-06-11 (2.15%) -> 12.15%
    #   1..31 Jul = 31 days: 3,000 x 12.15% x 31 / 365 = 30.9575... -> 30.96
    # interest 63.38; compensation EUR 40 (art. L441-10 II)
    assert row("ECB_MRO", "2025-06-11") + 10 == D("12.15")
    c = claim("FR", "3000.00", "EUR", "2025-05-31", "2025-07-31")
    assert shown(c) == [
        ("2025-06-01", "2025-06-30", 30, D("13.15"), D("32.42")),
        ("2025-07-01", "2025-07-31", 31, D("12.15"), D("30.96")),
    ]
    assert (c.interest_total, c.compensation, c.total_claim) == (D("63.38"), D("40"), D("3103.38"))


def test_netherlands_adds_a_full_years_interest_to_the_principal():
    # EUR 10,000 due 31 May 2024, interest from 1 Jun 2024; EUR 4,000 paid on 10 Feb 2025
    # (the principal is 6,000 from 11 Feb). Rates (ECB + 8) match the published wettelijke
    # handelsrente: 12.50% (row ECB_MRO 2023-09-20, 4.50%), 12.25% from 1 Jul 2024 (row
    # 2024-06-12), 11.15% from 1 Jan 2025 (row 2024-12-18), 10.15% from 1 Jul 2025 (row 2025-06-11).
    # 1..30 Jun 2024, 30 d:   10,000 x 12.50% x 30/365 = 102.7397 -> 102.74
    # 1 Jul..31 Dec, 184 d:   10,000 x 12.25% x 184/365 = 617.5342 -> 617.53
    # 1 Jan..31 May 2025, 151 d: (10,000 x 41 d + 6,000 x 110 d) x 11.15% / 365
    #                          = 1,070,000 x 11.15% / 365 = 326.8630 -> 326.86
    # a full year on 1 Jun 2025: 102.74 + 617.53 + 326.86 = 1,047.13 joins the principal
    # -> 7,047.13
    # 1..30 Jun 2025, 30 d:   7,047.13 x 11.15% x 30/365 = 64.5829 -> 64.58
    # 1 Jul..30 Sep, 92 d:    7,047.13 x 10.15% x 92/365 = 180.2907 -> 180.29
    # interest 1,292.00; compensation EUR 40; still owed 6,000 -> claim 7,332.00
    c = claim("NL", "10000.00", "EUR", "2024-05-31", "2025-09-30", [(date(2025, 2, 10), D("4000"))])
    assert shown(c) == [
        ("2024-06-01", "2024-06-30", 30, D("12.50"), D("102.74")),
        ("2024-07-01", "2024-12-31", 184, D("12.25"), D("617.53")),
        ("2025-01-01", "2025-05-31", 151, D("11.15"), D("326.86")),
        ("2025-06-01", "2025-06-30", 30, D("11.15"), D("64.58")),
        ("2025-07-01", "2025-09-30", 92, D("10.15"), D("180.29")),
    ]
    assert c.periods[3].pieces[0].principal == D("7047.13")
    assert (c.interest_total, c.compensation, c.outstanding, c.total_claim) == (
        D("1292.00"),
        D("40"),
        D("6000.00"),
        D("7332.00"),
    )


def test_ireland_has_tiered_compensation_and_the_ecb_rate_plus_eight():
    # EUR 5,000 due 31 Jan 2025, interest from 1 Feb: H1 2025 11.15% (row ECB_MRO 2024-12-18)
    # 1 Feb..31 Mar = 28 + 31 = 59 days: 5,000 x 11.15% x 59 / 365 = 90.1164 -> 90.12
    # compensation: over 1,000 and at most 10,000 -> EUR 70 (S.I. 580/2012)
    c = claim("IE", "5000.00", "EUR", "2025-01-31", "2025-03-31")
    assert shown(c) == [("2025-02-01", "2025-03-31", 59, D("11.15"), D("90.12"))]
    assert (c.compensation, c.total_claim) == (D("70"), D("5160.12"))
    assert claim("IE", "1000.00", "EUR", "2025-01-31", "2025-02-01").compensation == D("40")


def test_spain_splits_at_1_july():
    # EUR 8,000 due 20 Jun 2025, interest from 21 Jun.
    # 21..30 Jun = 10 d at 11.15%: 8,000 x 11.15% x 10/365 = 24.4383 -> 24.44
    # 1 Jul..15 Aug = 46 d at 10.15% (row ECB_MRO 2025-06-11 + 8): 8,000 x 10.15% x 46/365
    #   = 102.3342 -> 102.33; interest 126.77; compensation EUR 40 (Ley 3/2004 art. 8)
    c = claim("ES", "8000.00", "EUR", "2025-06-20", "2025-08-15")
    assert shown(c) == [
        ("2025-06-21", "2025-06-30", 10, D("11.15"), D("24.44")),
        ("2025-07-01", "2025-08-15", 46, D("10.15"), D("102.33")),
    ]
    assert (c.interest_total, c.compensation) == (D("126.77"), D("40"))


def test_italy_in_a_leap_year_with_both_day_counts():
    # EUR 2,500 due 31 Dec 2023, interest from 1 Jan 2024; H1 2024: ECB rate in force on
    # 1 Jan 2024 = row ECB_MRO 2023-09-20 (4.50%) -> 12.50%.
    # 1 Jan..31 Mar 2024 = 31 + 29 + 31 = 91 days
    # actual/365:    2,500 x 12.50% x 91/365 = 77.9109 -> 77.91
    # actual/actual: 2,500 x 12.50% x 91/366 = 77.6980 -> 77.70 (2024 is a leap year)
    # actual/360:    2,500 x 12.50% x 91/360 = 78.9930 -> 78.99
    assert row("ECB_MRO", "2023-09-20") + 8 == D("12.50")
    for day_count, expected in (
        ("actual/365", "77.91"),
        ("actual/actual", "77.70"),
        ("actual/360", "78.99"),
    ):
        c = claim("IT", "2500.00", "EUR", "2023-12-31", "2024-03-31", day_count=day_count)
        assert shown(c) == [("2024-01-01", "2024-03-31", 91, D("12.50"), D(expected))]
        assert c.compensation == D("40")


CLAUSE = Clause(annual_pct=D("12"), fixed_fee=D("50"), grace_days=10, cap_pct=D("5"))
PAID_800 = ((date(2026, 3, 2), D("800")),)


def contract(until, payments=PAID_800, clause=CLAUSE):
    debt = Debt(Money(D("2000.00"), "GBP"), date(2026, 1, 31), payments)
    return contractual_claim(debt, clause, date.fromisoformat(until))


def test_a_contract_rate_starts_after_the_grace_and_a_partial_payment_lowers_it_the_next_day():
    # GBP 2,000 due 31 Jan 2026; 12% a year after 10 days' grace -> from 11 Feb 2026.
    # GBP 800 paid on 2 Mar: 2,000 bears interest 11 Feb..2 Mar (18 + 2 = 20 days),
    # 1,200 from 3 Mar..30 Apr (29 + 30 = 59 days).
    # (2,000 x 20 + 1,200 x 59) x 12% / 365 = 110,800 x 0.12 / 365 = 36.4274 -> 36.43
    # fee GBP 50; still owed 1,200 -> claim 1,286.43. Cap 5% of 2,000 = 100, not reached.
    c = contract("2026-04-30")
    assert shown(c) == [("2026-02-11", "2026-04-30", 79, D("12"), D("36.43"))]
    assert [(p.start, p.days, p.principal) for p in c.periods[0].pieces] == [
        (date(2026, 2, 11), 20, D("2000.00")),
        (date(2026, 3, 3), 59, D("1200.00")),
    ]
    assert (c.compensation, c.outstanding, c.total_claim) == (D("50"), D("1200.00"), D("1286.43"))
    assert c.basis.startswith("Contract: interest at 12% a year and a late fee of 50.00 GBP")


def test_nothing_is_due_within_the_grace_days():
    c = contract("2026-02-10")
    assert (c.periods, c.interest_total, c.compensation) == ((), D(0), D(0))


def test_the_cap_limits_contract_interest_to_a_share_of_the_principal():
    # 1,200 x 12% is 144 a year: by the end of 2027 the 5% cap (GBP 100) has been reached.
    c = contract("2027-12-31")
    assert c.interest_total == D("100.00")
    assert sum(p.interest for p in c.periods) == D("100.00")


def test_a_reference_rate_file_with_bad_rows_names_each_row_and_column():
    text = (
        "series,effective_from,rate_pct,source,verification\n"
        "ECB_MRO,2026-13-01,2.40,ECB,verified\n"
        "ECB_MRO,2026-12-17,2.40,ECB\n"
        "EBC_MRO,2026-12-17,abc,,maybe\n"
    )
    with pytest.raises(Problems) as caught:
        parse_reference_rates(text, "new.csv", known_series=frozenset({"ECB_MRO"}))
    assert [str(p) for p in caught.value.problems] == [
        "new.csv:2:effective_from: '2026-13-01' is not a real date",
        "new.csv:3: the row does not have 5 columns",
        "new.csv:4:series: unknown series 'EBC_MRO' (known: ECB_MRO)",
        "new.csv:4:rate_pct: 'abc' is not a plain decimal percentage",
        "new.csv:4:source: say where the rate comes from",
        "new.csv:4:verification: 'maybe' is not one of verified, secondary, unverified",
    ]


# --- properties -------------------------------------------------------------------------

JURISDICTIONS = st.sampled_from(["GB", "AT", "DE", "FR", "NL", "IE", "ES", "IT"])
DAYS = st.integers(min_value=0, max_value=900)
AMOUNTS = st.decimals(min_value=D("0.01"), max_value=D("250000"), places=2)
PAYMENTS = st.lists(st.tuples(st.integers(0, 900), AMOUNTS), max_size=4)
START = date(2023, 1, 1)


def _debt(amount, due_offset, payments, currency="EUR"):
    due = START + timedelta(days=due_offset)
    return Debt(
        Money(amount, currency),
        due,
        tuple((due + timedelta(days=d), a) for d, a in payments),
    )


def _statutory(country, debt, until, day_count="actual/365"):
    return statutory_claim(debt, rule_for(country), HISTORY, until, day_count=day_count)


DAY_COUNT = st.sampled_from(["actual/365", "actual/360", "actual/actual"])


@settings(max_examples=150, deadline=None)
@given(JURISDICTIONS, AMOUNTS, st.integers(0, 500), PAYMENTS, DAYS, DAYS, DAY_COUNT)
def test_interest_never_decreases_with_time(country, amount, due, payments, a, b, day_count):
    debt = _debt(amount, due, payments)
    early, late = sorted((a, b))
    first = _statutory(country, debt, debt.due + timedelta(days=early), day_count)
    second = _statutory(country, debt, debt.due + timedelta(days=late), day_count)
    assert first.interest_total <= second.interest_total


@settings(max_examples=150, deadline=None)
@given(JURISDICTIONS, AMOUNTS, st.integers(0, 500), PAYMENTS, st.integers(0, 900), AMOUNTS, DAYS)
def test_a_payment_never_increases_interest(country, amount, due, payments, on, paid, until):
    debt = _debt(amount, due, payments)
    more = dataclasses.replace(
        debt, payments=(*debt.payments, (debt.due + timedelta(days=on), paid))
    )
    day = debt.due + timedelta(days=until)
    assert (
        _statutory(country, more, day).interest_total
        <= _statutory(country, debt, day).interest_total
    )


@settings(max_examples=100, deadline=None)
@given(
    AMOUNTS,
    PAYMENTS,
    st.integers(0, 60),
    DAYS,
    st.decimals(D("0"), D("30"), places=2),
    st.integers(0, 900),
    AMOUNTS,
)
def test_a_payment_never_increases_contract_interest(amount, payments, grace, until, pct, on, paid):
    clause = Clause(annual_pct=pct, fixed_fee=D("25"), grace_days=grace, cap_pct=D("10"))
    debt = _debt(amount, 10, payments, "GBP")
    more = dataclasses.replace(
        debt, payments=(*debt.payments, (debt.due + timedelta(days=on), paid))
    )
    day = debt.due + timedelta(days=until)
    assert (
        contractual_claim(more, clause, day).interest_total
        <= contractual_claim(debt, clause, day).interest_total
    )


def _floats(value, path="claim"):
    assert not isinstance(value, float), f"{path} is a float"
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            _floats(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, tuple | list):
        for i, item in enumerate(value):
            _floats(item, f"{path}[{i}]")


@settings(max_examples=100, deadline=None)
@given(JURISDICTIONS, AMOUNTS, st.integers(0, 500), PAYMENTS, DAYS, DAY_COUNT)
def test_no_value_of_a_claim_is_ever_a_float(country, amount, due, payments, until, day_count):
    debt = _debt(amount, due, payments)
    c = _statutory(country, debt, debt.due + timedelta(days=until), day_count)
    _floats(c)
    assert sum((p.interest for p in c.periods), D(0)) == c.interest_total
    assert c.total_claim == c.outstanding + c.interest_total + c.compensation


def test_a_float_amount_is_refused():
    with pytest.raises(TypeError):
        Money(1000.0, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        contractual_claim(
            Debt(Money(D("100"), "EUR"), date(2025, 1, 1), ((date(2025, 1, 5), 10.0),)),  # type: ignore[arg-type]
            Clause(annual_pct=D("8")),
            date(2025, 2, 1),
        )
