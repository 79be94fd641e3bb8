"""A mail server that takes a message for some recipients and refuses others: the message is
sent (and not sent again), and the team is told which addresses to fix."""

from __future__ import annotations

import pytest

from arrears.dunning.models import Message, OutboxAction

from .test_apply import apply, ledger  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_a_recipient_refused_among_others_is_alerted_once_and_the_message_counts_as_sent(
    ledger,  # noqa: F811
    smtp,
):
    smtp.refuse["info@acme.example"] = "550 5.1.1 no such mailbox"
    ledger.invoices("INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April")
    out = apply(ledger, "2026-05-08")
    [nudge] = [m for m in smtp.messages if m.header("X-Arrears-Key") == "nudge-1/C1/INV-1"]
    assert nudge.rcpt_tos == ["ap@acme.example", "finance@acme.example"]
    assert "refused info@acme.example (550 5.1.1 no such mailbox)" in out.stderr
    assert OutboxAction.objects.get(key="nudge-1/C1/INV-1").status == "sent"
    apply(ledger, "2026-05-08")
    apply(ledger, "2026-05-09")
    keys = smtp.keys()
    assert keys.count("nudge-1/C1/INV-1") == 1
    [alert] = [m for m in smtp.messages if m.header("X-Arrears-Key") == "send-failed/2026-05-08"]
    assert alert.rcpt_tos == ["accounts@northwind.example"]
    assert "nudge-1/C1/INV-1 (Acme Logistics): sent, but the mail server refused" in alert.text
    assert "info@acme.example" in alert.text
    assert Message.objects.filter(step="nudge-1").count() == 1
