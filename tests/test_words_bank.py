"""Where clients pay: `arrears org set bank` checks an IBAN's check digits (ISO 7064 MOD 97-10)
before the account is printed on every reminder, `arrears org show` says what is set, and every
message and letter a client gets says where to pay."""

from __future__ import annotations

import json
from datetime import date

import pytest

from arrears.core.bank import (
    mod97,
    parse_account_number,
    parse_bic,
    parse_iban,
    parse_sort_code,
)
from arrears.core.parsing import Invalid

from .factory import email_action, make_client, make_invoice


# -- the pure rules ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed, stored",
    [
        ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),  # the ECBS example
        ("de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"),
        ("NL91-ABNA-0417-1643-00", "NL91ABNA0417164300"),
    ],
)
def test_a_valid_iban_is_kept_without_spaces_in_capitals(typed, stored):
    assert parse_iban(typed) == stored


@pytest.mark.parametrize(
    "typed, reason",
    [
        ("GB82 WEST 1234 5698 7654 33", "the check digits do not match"),  # last digit wrong
        ("GB82 WEST 1234 5698 7654 23", "the check digits do not match"),  # two digits swapped
        ("GB82 WEST 1234 5698 7654", "an IBAN of GB has 22 characters, this one 20"),
        ("12345678", "is not an IBAN"),
        ("GB82 WEST 1234 5698 7654 3€", "is not an IBAN"),
    ],
)
def test_a_mistyped_iban_is_refused_with_the_reason(typed, reason):
    with pytest.raises(Invalid, match=reason):
        parse_iban(typed)


def test_mod97_of_the_worked_example_is_one():
    # GB82WEST12345698765432 rearranged: WEST12345698765432GB82, letters as numbers:
    # 3214282912345698765432161182 mod 97 = 1
    assert mod97("WEST12345698765432GB82") == 1
    assert int("3214282912345698765432161182") % 97 == 1


def test_bic_sort_code_and_account_number():
    assert parse_bic("cobadeffxxx") == "COBADEFFXXX" and parse_bic("WESTGB2L") == "WESTGB2L"
    assert parse_sort_code("123456") == parse_sort_code("12 34 56") == "12-34-56"
    assert parse_account_number("12345678") == "12345678"
    for parse, bad in (
        (parse_bic, "COBADEF"),
        (parse_sort_code, "12-34-5"),
        (parse_account_number, "1234567"),
    ):
        with pytest.raises(Invalid):
            parse(bad)


# -- the command ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_org_set_bank_stores_checked_details_and_org_show_prints_them(cli, org):
    cli(
        "org",
        "set",
        "bank",
        "--iban",
        "GB82 WEST 1234 5698 7654 32",
        "--bic",
        "westgb2l",
        "--account-name",
        "Northwind Engineering Ltd",
    )
    org.refresh_from_db()
    assert (org.bank_iban, org.bank_bic, org.bank_account_name) == (
        "GB82WEST12345698765432",
        "WESTGB2L",
        "Northwind Engineering Ltd",
    )
    shown = cli("org", "show").output
    assert "IBAN" in shown and "GB82 WEST 1234 5698 7654 32" in shown and "WESTGB2L" in shown
    data = json.loads(cli("org", "show", "--format", "json").output)
    assert data["bank"]["iban"] == "GB82WEST12345698765432"
    cli("org", "set", "bank", "--account-number", "12345678", "--sort-code", "12 34 56")
    org.refresh_from_db()
    assert (org.bank_iban, org.bank_account_number, org.bank_sort_code) == (
        "",
        "12345678",
        "12-34-56",
    )


@pytest.mark.django_db
def test_a_mistyped_iban_changes_nothing_and_says_why(cli, org):
    cli("org", "set", "bank", "--iban", "DE89 3704 0044 0532 0130 00")
    out = cli("org", "set", "bank", "--iban", "DE89 3704 0044 0532 0130 01", ok=False).output
    assert "--iban" in out and "the check digits do not match" in out
    assert "Traceback" not in out
    org.refresh_from_db()
    assert org.bank_iban == "DE89370400440532013000"
    out = cli("org", "set", "bank", "--bic", "COBADEFFXXX", ok=False).output
    assert "give --iban" in out


@pytest.mark.django_db
def test_org_show_warns_when_no_bank_details_are_set(cli):
    assert "none set" in cli("org", "show").output


@pytest.mark.django_db
def test_org_set_address_sets_the_letterhead_lines(cli, org):
    cli("org", "set", "address", "12 Harbour Street", "Bristol BS1 4QA")
    org.refresh_from_db()
    assert org.postal_address == "12 Harbour Street\nBristol BS1 4QA"


@pytest.mark.django_db
def test_the_admin_refuses_an_iban_with_wrong_check_digits(org):
    from django.core.exceptions import ValidationError

    org.bank_iban = "GB82WEST12345698765433"
    with pytest.raises(ValidationError, match="check digits"):
        org.full_clean()


# -- on what clients read ------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, heading",
    [
        ("en", "Our bank details for payment"),
        ("de", "Unsere Bankverbindung für Ihre Zahlung"),
        ("fr", "Nos coordonnées bancaires pour le règlement"),
    ],
)
def test_every_client_message_says_where_to_pay(org, language, heading):
    from arrears.dunning.compose import compose
    from arrears.dunning.policy_store import default_text, parse

    org.bank_iban, org.bank_bic = "GB82WEST12345698765432", "WESTGB2L"
    org.save()
    policy = parse(default_text(), "default")
    client = make_client(org, name="Acme", language=language)
    inv = make_invoice(client, number="INV-7", total="100.00")
    for step in [s.id for s in policy.steps if s.client_facing]:
        action = email_action(client, step=step, on=date(2026, 4, 1))
        out = compose(org, action, [inv], policy, date(2026, 4, 1))
        for body in (out.text, out.html):
            assert heading in body and "GB82 WEST 1234 5698 7654 32" in body, (step, body)
            assert "WESTGB2L" in body
    # the team's own alerts carry no bank details
    alert = email_action(
        client,
        step="nudge-3-alert",
        on=date(2026, 4, 1),
        kind="internal",
        template="step-alert",
        to=("sam@northwind.example",),
    )
    assert "GB82" not in compose(org, alert, [inv], policy, date(2026, 4, 1)).text
