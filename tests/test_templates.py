"""Every client-facing step renders in every language: subject, text and HTML, amounts and dates
in the client's locale, nothing left of the template syntax."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.channels.email.render import LANGUAGES, known_templates
from arrears.dunning.compose import compose
from arrears.dunning.policy_store import default_text, parse

from .factory import email_action, make_client, make_invoice

POLICY = parse(default_text(), "default")
CLIENT_STEPS = [s.id for s in POLICY.steps if s.client_facing]
AMOUNT = {"en": "€1,234.50", "de": "1.234,50\xa0€", "fr": "1\u202f234,50\xa0€"}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("step", CLIENT_STEPS)
def test_each_step_reads_well_in_each_language(org, step, language):
    client = make_client(org, name="Kunde", country="DE", language=language)
    inv = make_invoice(client, number="INV-7", total="1234.50", description="Platform work")
    action = email_action(client, step=step, on=date(2026, 4, 1), to=("ap@kunde.example",))
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
