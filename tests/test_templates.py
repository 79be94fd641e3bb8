"""Every client-facing step renders in every language: subject, text and HTML, amounts and dates
in the client's locale, nothing left of the template syntax."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arrears.channels.email.render import LANGUAGES, known_templates
from arrears.dunning.compose import compose
from arrears.dunning.models import OutboxAction
from arrears.dunning.policy_store import default_text, parse
from arrears.ledger.models import Client, Invoice

POLICY = parse(default_text(), "default")
CLIENT_STEPS = [s.id for s in POLICY.steps if s.client_facing]
AMOUNT = {"en": "€1,234.50", "de": "1.234,50\xa0€", "fr": "1\u202f234,50\xa0€"}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("step", CLIENT_STEPS)
def test_each_step_reads_well_in_each_language(org, step, language):
    client = Client.objects.create(
        organisation=org,
        external_id="C1",
        name="Kunde",
        country="DE",
        timezone="Europe/Berlin",
        currency="EUR",
        language=language,
    )
    inv = Invoice.objects.create(
        organisation=org,
        client=client,
        number="INV-7",
        issue_date=date(2026, 1, 1),
        due_date=date(2026, 2, 1),
        currency="EUR",
        total=Decimal("1234.50"),
        description="Platform work",
    )
    action = OutboxAction(
        organisation=org,
        key=f"{step}/C1",
        client=client,
        step=step,
        kind="email",
        level="invoice",
        template=step,
        policy="default",
        scheduled_for=date(2026, 4, 1),
        to=["ap@kunde.example"],
        cc=[],
    )
    out = compose(
        org, action, [inv], POLICY, date(2026, 4, 1), contacts=[("ap@kunde.example", "Jo Kunde")]
    )
    assert out.subject and "INV-7" in out.subject
    for body in (out.text, out.html):
        assert "INV-7" in body and AMOUNT[language] in body and "Jo Kunde" in body
        assert "{{" not in body and "{%" not in body
    assert "<table" in out.html and "&lt;" not in out.html


def test_the_policy_only_names_templates_that_exist():
    assert {s.template for s in POLICY.steps} <= known_templates()
