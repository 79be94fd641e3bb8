"""The levers' messages read well: the restore notice in every language, the team's alerts,
and the maintenance notice naming the contract's own services."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.channels.email.render import LANGUAGES
from arrears.dunning.compose import compose
from arrears.dunning.policy_store import default_text, parse
from arrears.ledger.models import Contract

from .factory import email_action, make_client, make_invoice

pytestmark = pytest.mark.django_db
SUBJECT = {
    "en": "Full service restored from",
    "de": "Voller Service ab",
    "fr": "Service complet rétabli",
}


def client_of(org, language="en"):
    return make_client(org, name="Kunde", country="DE", language=language)


def action(org, client, step, template, kind="email", **data):
    return email_action(
        client,
        step=step,
        on=date(2026, 5, 5),
        template=template,
        kind=kind,
        level="client",
        policy="",
        to=("ap@kunde.example",),
        data=data,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_restore_notice_thanks_for_the_payment_in_the_clients_language(org, language):
    client = client_of(org, language)
    a = action(org, client, "restored", "restored", paid="INV-7", level_from="suspended")
    out = compose(org, a, [], None, date(2026, 5, 5), dict(a.data))
    assert out.subject.startswith(SUBJECT[language])
    assert "INV-7" in out.text and "suspended" in out.text
    assert "{{" not in out.text and "{%" not in out.html


@pytest.mark.parametrize(
    ("template", "data", "expected"),
    [
        ("level-restored", {"level_from": "stopped", "reason": "paid: INV-7"}, "paid: INV-7"),
        (
            "hook-failed",
            {
                "hook_key": "hook/3/C1/enter:stopped/1",
                "event": "enter:stopped",
                "error": "answered 404",
                "attempts": 1,
            },
            "answered 404",
        ),
        (
            "time-override",
            {"level": "stopped", "override_reason": "P1-123", "entries": 2, "source": "t.csv"},
            "2 time entries for Kunde (C1) were accepted",
        ),
    ],
)
def test_the_teams_alerts_say_what_happened(org, template, data, expected):
    client = client_of(org)
    a = action(org, client, template, template, kind="internal", **data)
    out = compose(org, a, [], None, date(2026, 5, 5), data)
    assert expected in out.text and "{{" not in out.text


def test_the_maintenance_notice_lists_the_contracts_services(org):
    client = client_of(org)
    contract = Contract.objects.create(
        organisation=org,
        client=client,
        external_id="K1",
        engagement="tm",
        start_date=date(2025, 1, 1),
        service_modification_clause=True,
        non_essential_services="Roadmap features\nWeekly demo",
        essential_services="Pager duty",
    )
    inv = make_invoice(client, contract=contract, number="INV-7", total="100.00")
    a = action(org, client, "maintenance", "maintenance", kind="lever")
    # the policy says the step brings maintenance mode: its notice names the services
    text = compose(org, a, [inv], parse(default_text(), "default"), date(2026, 3, 3)).text
    assert "- Roadmap features\n- Weekly demo\n" in text
    assert "- Pager duty" in text and "feature work" not in text
