"""`arrears plan-void` withdraws a draft or offered plan (it can no longer be accepted, and an
offer still waiting in the outbox is not sent), and voids an active one."""

from __future__ import annotations

import json

import pytest

from arrears.dunning.models import OutboxAction

from .test_plans_apply import OWNER
from .test_plans_cli import ledger, offer  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def plan_of(cli) -> dict:
    [plan] = json.loads(cli("plans", "--format", "json").output)
    return plan


def test_a_draft_plan_is_withdrawn_and_can_no_longer_be_accepted(ledger):  # noqa: F811
    offer(ledger)
    out = ledger("plan-void", "P1", "--reason", "client paid in full", "--by", OWNER).output
    assert "P1 withdrawn" in out and "it was a draft" in out
    plan = plan_of(ledger)
    assert plan["status"] == "voided"
    assert plan["closed_reason"] == f"withdrawn: client paid in full ({OWNER})"
    refused = ledger("plan-accept", "P1", "--by", OWNER, ok=False)
    assert "P1 is voided" in refused.output
    timeline = json.loads(ledger("timeline", "C1", "--format", "json").stdout)
    texts = [e["text"] for e in timeline]
    assert f"payment plan P1 voided: withdrawn: client paid in full ({OWNER})" in texts


def test_an_offer_waiting_in_the_outbox_is_cancelled_when_its_plan_is_withdrawn(
    ledger,  # noqa: F811
    smtp,
):
    offer(ledger, "--send")
    out = ledger("plan-void", "P1", "--reason", "wrong amounts", "--by", OWNER).output
    assert "its offer email, not sent yet, is cancelled" in " ".join(out.split())
    action = OutboxAction.objects.get(key="plan-offer/C1/P1")
    assert action.status == "cancelled" and "P1 was withdrawn" in action.reason
    ledger("deliver", "--date", "2026-06-10")
    assert not [m for m in smtp.messages if m.header("X-Arrears-Key") == "plan-offer/C1/P1"]
    assert plan_of(ledger)["status"] == "voided"


def test_an_offered_plan_is_withdrawn_and_the_client_is_to_be_told(ledger, smtp):  # noqa: F811
    offer(ledger, "--send")
    ledger("deliver", "--date", "2026-06-10")
    assert plan_of(ledger)["status"] == "offered"
    out = ledger("plan-void", "P1", "--reason", "terms changed", "--by", OWNER).output
    assert "P1 withdrawn" in out and "the client has the offer" in " ".join(out.split())
    assert plan_of(ledger)["status"] == "voided"


def test_an_active_plan_is_voided_and_an_ended_one_is_refused(ledger):  # noqa: F811
    offer(ledger)
    ledger("plan-accept", "P1", "--by", OWNER)
    assert "P1 voided" in ledger("plan-void", "P1", "--reason", "x", "--by", OWNER).output
    again = ledger("plan-void", "P1", "--reason", "x", "--by", OWNER, ok=False)
    assert "P1 is voided already" in again.output
