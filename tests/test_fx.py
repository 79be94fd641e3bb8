"""Exchange rates: a converted figure always comes with the rate and the day of the rate, and a
total across currencies in the organisation's base currency says how it was made."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from arrears.core.fx import NoRate, Rate, Rates, total_in
from arrears.core.money import Money

from .factory import import_ledger
from .test_interest_cli import DATA

D = Decimal
ECB = Rates.of(
    [
        Rate("EUR", "USD", date(2026, 11, 20), D("1.0523"), "ECB"),
        Rate("EUR", "USD", date(2026, 11, 19), D("1.0490"), "ECB"),
        Rate("EUR", "GBP", date(2026, 11, 20), D("0.8712"), "ECB"),
        Rate("EUR", "JPY", date(2026, 11, 20), D("162.50"), "ECB"),
    ]
)


@pytest.mark.parametrize(
    ("amount", "currency", "to", "on", "figure", "rate", "rate_day"),
    [
        # a published rate is used as published: 100 x 1.0523 = 105.23
        ("100.00", "EUR", "USD", "2026-11-22", "105.23", "1.0523", "2026-11-20"),
        # the day before: that day's rate: 100 x 1.0490 = 104.90
        ("100.00", "EUR", "USD", "2026-11-19", "104.90", "1.049", "2026-11-19"),
        # the inverse, to 6 significant digits: 1 / 1.0523 = 0.950299...; 100 x it = 95.0299
        ("100.00", "USD", "EUR", "2026-11-23", "95.03", "0.950299", "2026-11-20"),
        # a cross rate through EUR: 0.8712 / 1.0523 = 0.827901...; 1,000 x it = 827.901
        ("1000.00", "USD", "GBP", "2026-11-23", "827.90", "0.827901", "2026-11-20"),
        # to a currency without minor unit: 100 x 162.50 = 16,250
        ("100.00", "EUR", "JPY", "2026-11-23", "16250", "162.5", "2026-11-20"),
        # the same currency: rate 1 on the day itself
        ("12.34", "GBP", "GBP", "2026-11-23", "12.34", "1", "2026-11-23"),
    ],
)
def test_a_conversion_states_the_rate_and_its_day(amount, currency, to, on, figure, rate, rate_day):
    got = ECB.convert(Money(D(amount), currency), to, date.fromisoformat(on))
    assert got.money == Money(D(figure), to)
    assert (format(got.rate.normalize(), "f"), got.rate_date.isoformat()) == (rate, rate_day)


def test_the_statement_reads_like_the_rate_on_paper():
    got = ECB.convert(Money(D("1000.00"), "USD"), "GBP", date(2026, 11, 23))
    assert got.statement() == "at 1 USD = 0.827901 GBP (2026-11-20)"


def test_no_rate_before_the_first_day_is_an_error_not_a_guess():
    with pytest.raises(NoRate, match="no EUR/USD exchange rate on or before 2026-11-18"):
        ECB.convert(Money(D("1"), "EUR"), "USD", date(2026, 11, 18))
    with pytest.raises(NoRate):
        ECB.convert(Money(D("1"), "EUR"), "CHF", date(2026, 11, 23))


def test_a_total_across_currencies_lists_each_part_and_what_is_missing():
    # 100 EUR -> 87.12 GBP; 1,000 USD -> 827.90 GBP (above); 50 GBP; CHF has no rate
    t = total_in(
        ECB,
        [
            Money(D("100.00"), "EUR"),
            Money(D("1000.00"), "USD"),
            Money(D("50.00"), "GBP"),
            Money(D("10"), "CHF"),
        ],
        "GBP",
        date(2026, 11, 23),
    )
    assert t.money == Money(D("965.02"), "GBP")  # 87.12 + 827.90 + 50.00
    assert [p.money.amount for p in t.parts] == [D("87.12"), D("827.90"), D("50.00")]
    assert t.missing == ("CHF",)


def test_a_rate_must_be_a_positive_decimal():
    with pytest.raises(TypeError):
        Rate("EUR", "USD", date(2026, 1, 1), 1.05, "")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Rate("EUR", "USD", date(2026, 1, 1), D("0"), "")


CLIENTS = """
client_id,name,country,timezone,currency,language
C1,Acme Logistics,GB,Europe/London,GBP,en
C2,Rheinland GmbH,DE,Europe/Berlin,EUR,de
C3,Prairie Cloud Inc,US,America/Chicago,USD,en
"""
INVOICES = """
invoice_number,client_id,issue_date,due_date,amount
INV-1,C1,2026-10-01,2026-10-31,50.00
INV-2,C2,2026-10-01,2026-10-31,100.00
INV-3,C3,2026-10-01,2026-10-31,1000.00
"""


@pytest.mark.django_db
def test_aging_adds_the_currencies_up_in_the_base_currency_at_stated_rates(cli, tmp_path):
    import_ledger(cli, tmp_path, clients=CLIENTS, invoices=INVOICES)
    # without rates: the total says what it leaves out
    out = cli("aging", "--date", "2026-11-23").output
    assert "Total in GBP" in out and "without EUR, USD: no exchange rate" in out
    cli("fx", "import", str(DATA / "eurofxref-hist-sample.csv"))
    # ECB 2026-11-20: 1 EUR = 0.87120 GBP, 1.0523 USD
    # 100 EUR = 87.12 GBP; 1,000 USD x (0.8712 / 1.0523 = 0.827901) = 827.90 GBP
    # total 50.00 + 87.12 + 827.90 = 965.02 GBP
    got = json.loads(cli("aging", "--date", "2026-11-23", "--format", "json").output)
    assert got["base_total"] == {
        "currency": "GBP",
        "total": "965.02",
        "converted": [
            {
                "currency": "EUR",
                "total": "100.00",
                "in_base": "87.12",
                "rate": "0.8712",
                "rate_date": "2026-11-20",
            },
            {
                "currency": "GBP",
                "total": "50.00",
                "in_base": "50.00",
                "rate": "1",
                "rate_date": "2026-11-23",
            },
            {
                "currency": "USD",
                "total": "1000.00",
                "in_base": "827.90",
                "rate": "0.827901",
                "rate_date": "2026-11-20",
            },
        ],
        "missing": [],
    }
    out = cli("aging", "--date", "2026-11-23").output
    assert "at 1 USD = 0.827901 GBP (2026-11-20)" in out
    assert "at 1 EUR = 0.8712 GBP (2026-11-20)" in out
