"""`arrears interest`, `arrears rates` and `arrears fx` as a user runs them: the claim on an
invoice of the ledger, rate periods added from a file, exchange rates from the ECB's files,
and bad files refused with the row and column named and nothing imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arrears.charges.models import FxRate, ReferenceRate

from .conftest import Cli, write
from .factory import import_ledger

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"

CLIENTS = """
client_id,name,country,timezone,currency,language
C1,Acme Logistics,GB-ENG,Europe/London,GBP,en
C2,Rheinland GmbH,DE-BY,Europe/Berlin,EUR,de
C3,Prairie Cloud Inc,US,America/Chicago,USD,en
C4,Lone Star Ops,US,America/Chicago,USD,en
"""
CONTRACTS = """
contract_id,client_id,engagement,payment_terms_days,late_fee_fixed,late_interest_annual_pct,late_fee_grace_days,late_interest_cap_pct,start_date,governing_law
K1,C1,tm,30,,,,,2023-01-01,GB
K2,C2,retainer,30,,,,,2023-01-01,DE
K3,C3,fixed,30,50.00,12,10,5,2023-01-01,US
"""
INVOICES = """
invoice_number,client_id,contract_id,issue_date,due_date,amount,description
INV-GB,C1,K1,2025-02-13,2025-03-15,5000.00,Platform work
INV-DE,C2,K2,2023-05-16,2023-06-15,12000.00,Kubernetes migration
INV-K,C3,K3,2026-01-01,2026-01-31,2000.00,Fixed-price audit
INV-US,C4,,2026-01-01,2026-01-31,900.00,Support
"""
PAYMENTS = """
payment_id,client_id,date,amount,invoice_number
P1,C3,2026-03-02,800.00,INV-K
"""


@pytest.fixture
def ledger(cli, tmp_path):
    import_ledger(
        cli, tmp_path, clients=CLIENTS, contracts=CONTRACTS, invoices=INVOICES, payments=PAYMENTS
    )
    return cli


def claim(cli, number, until):
    return json.loads(cli("interest", number, "--until", until, "--format", "json").output)


def test_a_uk_invoice_claims_statutory_interest_at_the_held_rate_and_compensation(ledger):
    # the worked example of test_interest_rules: GBP 5,000 due 15 Mar 2025, 90 days at
    # 12.75% (Bank Rate 4.75% on 31 Dec 2024 + 8) = 157.19, compensation GBP 70
    assert claim(ledger, "INV-GB", "2025-06-13") == {
        "invoice_number": "INV-GB",
        "principal": "5000.00",
        "currency": "GBP",
        "periods": [
            {
                "from": "2025-03-16",
                "to": "2025-06-13",
                "days": 90,
                "annual_rate_pct": "12.75",
                "interest": "157.19",
            }
        ],
        "interest_total": "157.19",
        "compensation": "70.00",
        "total_claim": "5227.19",
        "basis": claim(ledger, "INV-GB", "2025-06-13")["basis"],
    }
    assert (
        "Late Payment of Commercial Debts (Interest) Act 1998"
        in claim(ledger, "INV-GB", "2025-06-13")["basis"]
    )


def test_a_german_invoice_is_split_at_the_half_year(ledger):
    got = claim(ledger, "INV-DE", "2023-08-31")
    assert [
        (p["from"], p["days"], p["annual_rate_pct"], p["interest"]) for p in got["periods"]
    ] == [
        ("2023-06-16", 15, "10.62", "52.37"),
        ("2023-07-01", 62, "12.12", "247.05"),
    ]
    assert (got["interest_total"], got["compensation"], got["total_claim"]) == (
        "299.42",
        "40.00",
        "12339.42",
    )


def test_the_contract_clause_wins_with_its_grace_cap_and_the_partial_payment(ledger):
    # USD 2,000 due 31 Jan 2026, 12% after 10 days, USD 800 paid 2 Mar:
    # (2,000 x 20 + 1,200 x 59) x 12% / 365 = 36.43; fee 50; still owed 1,200
    got = claim(ledger, "INV-K", "2026-04-30")
    assert got["periods"] == [
        {
            "from": "2026-02-11",
            "to": "2026-04-30",
            "days": 79,
            "annual_rate_pct": "12.00",
            "interest": "36.43",
        }
    ]
    assert (got["interest_total"], got["compensation"], got["total_claim"]) == (
        "36.43",
        "50.00",
        "1286.43",
    )
    table = ledger("interest", "INV-K", "--until", "2026-04-30").output
    assert "2000.00 × 20 d" in table and "1200.00 × 59 d" in table
    assert "total claim" in table and "1286.43 USD" in table and "late fee" in table


def test_before_interest_starts_the_claim_is_the_principal(ledger):
    got = claim(ledger, "INV-GB", "2025-03-15")
    assert (got["periods"], got["interest_total"], got["compensation"]) == ([], "0.00", "0.00")
    assert (
        "No interest yet: it starts on 2025-03-16."
        in ledger("interest", "INV-GB", "--until", "2025-03-15").output
    )


def test_an_invoice_without_clause_or_statute_is_refused_with_a_reason(ledger):
    result = ledger("interest", "INV-US", "--until", "2026-04-30", ok=False)
    assert "no statutory rule is known for US" in result.output
    assert "no invoice 'NOPE'" in ledger("interest", "NOPE", ok=False).output


def test_an_imported_rate_period_is_used_for_the_half_year_it_starts(ledger, tmp_path):
    # Past the packaged history the last ECB row (2026-06-17, 2.40%) still applies; an imported
    # period effective 2026-12-16 sets H1 2027. A French-law contract follows the ECB rate.
    ledger(
        "import",
        "contracts",
        str(
            write(
                tmp_path / "k4.csv",
                "contract_id,client_id,engagement,payment_terms_days,start_date,governing_law\n"
                "K4,C2,tm,30,2026-01-01,FR\n",
            )
        ),
    )
    ledger(
        "import",
        "invoices",
        str(
            write(
                tmp_path / "i4.csv",
                "invoice_number,client_id,contract_id,issue_date,due_date,amount\n"
                "INV-FR,C2,K4,2026-11-30,2026-12-31,3650.00\n",
            )
        ),
    )
    # before the import: H1 2027 at row ECB_MRO 2026-06-17 (2.40%) + 10 = 12.40%
    # 1 Jan..10 Jan 2027 = 10 days: 3,650 x 12.40% x 10/365 = 12.40
    assert claim(ledger, "INV-FR", "2027-01-10")["periods"][0]["interest"] == "12.40"
    rates = write(
        tmp_path / "rates.csv",
        "series,effective_from,rate_pct,source,verification\n"
        "ECB_MRO,2026-12-16,2.15,ECB press release (example),unverified\n",
    )
    assert "1 reference-rate period(s) imported" in ledger("rates", "import", str(rates)).output
    # after: 2.15% + 10 = 12.15%: 3,650 x 12.15% x 10/365 = 12.15
    got = claim(ledger, "INV-FR", "2027-01-10")
    assert [(p["annual_rate_pct"], p["interest"]) for p in got["periods"]] == [("12.15", "12.15")]
    shown = ledger("rates", "show", "--series", "ECB_MRO").output
    assert "2026-12-16" in shown and "imported" in shown and "packaged" in shown
    assert "BOE_BANK_RATE" in ledger("rates").output


def test_rates_imported_by_one_organisation_do_not_change_anothers_claims(
    ledger, other_org, tmp_path
):
    rates = write(
        tmp_path / "rates.csv",
        "series,effective_from,rate_pct,source,verification\n"
        "DE_BASISZINSSATZ,2023-07-01,9.99,a typo in someone else's books,unverified\n",
    )
    Cli(other_org)("rates", "import", str(rates))
    assert ReferenceRate.objects.filter(organisation=other_org).count() == 1
    got = claim(ledger, "INV-DE", "2023-08-31")
    assert got["periods"][1]["annual_rate_pct"] == "12.12"


def test_a_bad_rates_file_names_row_and_column_and_imports_nothing(ledger, tmp_path):
    rates = write(
        tmp_path / "bad.csv",
        "series,effective_from,rate_pct,source,verification\n"
        "ECB_MRO,2026-12-16,2.15,ECB,verified\n"
        "ECB_MRO,16/12/2026,2.15,ECB,verified\n"
        "BOE_BANK_RATE,2026-02-05,3,5,BoE,secondary\n"
        "BOE_BANK_RATE,2026-02-05,1e2,BoE,secondary\n",
    )
    result = ledger("rates", "import", str(rates), ok=False)
    assert (
        f"{rates}:3:effective_from: '16/12/2026' is not a date in the form YYYY-MM-DD"
        in result.output
    )
    assert f"{rates}:4: the row does not have 5 columns" in result.output
    assert f"{rates}:5:rate_pct: '1e2' is not a plain decimal percentage" in result.output
    assert "3 problem(s)" in result.output and "nothing was imported" in result.output
    assert not ReferenceRate.objects.exists()
    assert (
        "no such file"
        in ledger("rates", "import", str(tmp_path / "none.csv"), ok=False).output.lower()
    )


def test_fx_import_reads_the_ecb_history_file_and_show_states_each_rate(ledger):
    out = ledger("fx", "import", str(DATA / "eurofxref-hist-sample.csv")).output
    assert "12 exchange rate(s) imported" in out  # 3 days x USD, JPY, GBP, CHF (CYP is N/A)
    shown = ledger("fx", "show", "--date", "2026-11-19").output
    assert "1 EUR = 1.049 USD" in shown and "2026-11-19" in shown and "1 EUR = 0.87005 GBP" in shown
    # importing the same file again replaces, never duplicates
    ledger("fx", "import", str(DATA / "eurofxref-hist-sample.csv"))
    assert FxRate.objects.filter(organisation=ledger.org).count() == 12


def test_fx_import_reads_the_ecb_daily_file(ledger):
    ledger("fx", "import", str(DATA / "eurofxref-sample.csv"))
    assert "1 EUR = 162.5 JPY" in ledger("fx", "show", "--date", "2026-11-23").output


def test_a_bad_fx_file_names_row_and_column_and_imports_nothing(ledger, tmp_path):
    bad = write(
        tmp_path / "fx.csv",
        "Date,USD,Euro,\n2026-11-20,1.05,1.0,\n",
    )
    result = ledger("fx", "import", str(bad), ok=False)
    assert f"{bad}:1:Euro: 'Euro' is not a currency code" in result.output
    bad = write(
        tmp_path / "fx2.csv",
        "Date,USD,GBP\n2026-11-20,1.05,0.87\n2026-11-31,1.0,0.8\n2026-11-18,-1,0.8\n",
    )
    result = ledger("fx", "import", str(bad), ok=False)
    assert f"{bad}:3:Date: '2026-11-31' is not a real date" in result.output
    assert f"{bad}:4:USD: '-1': a rate must be positive" in result.output
    assert not FxRate.objects.exists()
    assert "No exchange rates" in ledger("fx", "show").output


def test_the_day_count_is_a_setting(ledger, monkeypatch):
    # actual/360: 5,000 x 12.75% x 90 / 360 = 159.375 -> 159.38 (half-up)
    monkeypatch.setenv("ARREARS_INTEREST_DAY_COUNT", "actual/360")
    got = claim(ledger, "INV-GB", "2025-06-13")
    assert (got["periods"][0]["interest"], got["total_claim"]) == ("159.38", "5229.38")
    assert "Day count actual/360." in ledger("interest", "INV-GB", "--until", "2025-06-13").output


def test_a_contract_with_a_late_fee_and_no_rate_claims_statutory_interest_and_its_own_fee(
    cli, tmp_path
):
    """The issue: statutory interest "where the contract has no rate". A contract that names
    only a late fee still bears the statute's interest; its fee stands in for the fixed
    compensation (GBP 25 instead of the Act's GBP 70 for a debt of GBP 5,000)."""
    write_all = (
        ("clients", "client_id,name,country,timezone,currency\nC1,Acme,GB,Europe/London,GBP\n"),
        (
            "contracts",
            "contract_id,client_id,engagement,payment_terms_days,late_fee_fixed,start_date,"
            "governing_law\nK1,C1,tm,30,25.00,2023-01-01,GB\n",
        ),
        (
            "invoices",
            "invoice_number,client_id,contract_id,issue_date,due_date,amount\n"
            "INV-1,C1,K1,2025-02-13,2025-03-15,5000.00\n",
        ),
    )
    for kind, text in write_all:
        cli("import", kind, str(write(tmp_path / f"{kind}.csv", text)))
    got = claim(cli, "INV-1", "2025-06-13")
    # same debt and days as the worked example above: 90 days at 12.75% = 157.19
    assert got["periods"][0]["annual_rate_pct"] == "12.75"
    assert got["interest_total"] == "157.19"
    assert got["compensation"] == "25.00"
    assert got["total_claim"] == "5182.19"
    assert "late fee of contract K1: 25.00 GBP" in got["basis"]
