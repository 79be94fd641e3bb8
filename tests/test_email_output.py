"""Where mail goes without a mail server (issue 14): `console://` prints one line per message
(its recipients and subject) after which the day's summary; `arrears apply --show-messages`
prints them whole; `file:///folder` writes one `.eml` file per message, as docs/settings.md
says."""

from __future__ import annotations

import email
import email.policy

import pytest

from arrears.env import parse_email_url

from .test_apply import apply, ledger  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

INVOICES = (
    "INV-1,C1,K1,2026-04-01,2026-05-05,1200.00,April",
    "INV-2,C2,K2,2026-04-01,2026-05-05,5000.00,April",
)


def test_the_console_shows_one_line_per_message_and_the_days_summary(
    ledger,  # noqa: F811
    settings,
):
    settings.MAILERS = {"default": parse_email_url("console://")}
    ledger.invoices(*INVOICES)
    out = apply(ledger, "2026-05-08")
    assert out.stdout.splitlines() == [
        "to ap@acme.example, cc finance@acme.example, info@acme.example: "
        "Follow-up: Invoice #INV-1 [OVERDUE]",
        "to buchhaltung@rheinland.example, cc info@rheinland.example: "
        "Nachfrage: Rechnung #INV-2 [ÜBERFÄLLIG]",
        "2026-05-08: 2 queued, 2 sent, 0 cancelled, 0 to retry, 0 failed",
    ]


def test_show_messages_prints_each_message_whole(ledger, settings):  # noqa: F811
    settings.MAILERS = {"default": parse_email_url("console://")}
    ledger.invoices(*INVOICES)
    out = ledger("apply", "--date", "2026-05-08", "--show-messages")
    assert "Subject: Follow-up: Invoice #INV-1 [OVERDUE]" in out.stdout
    assert "X-Arrears-Key: nudge-1/C2/INV-2" in out.stdout
    assert "Content-Type: multipart/alternative" in out.stdout
    assert out.stdout.splitlines()[-1].startswith("2026-05-08: 2 queued, 2 sent")


def test_a_file_mailer_writes_one_eml_file_per_message(ledger, settings, tmp_path):  # noqa: F811
    folder = tmp_path / "mail"
    settings.MAILERS = {"default": parse_email_url(f"file://{folder}")}
    ledger.invoices(*INVOICES)
    out = apply(ledger, "2026-05-08")
    assert "2 sent" in out.stdout and "Subject:" not in out.stdout
    files = sorted(folder.iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    read = [email.message_from_bytes(f.read_bytes(), policy=email.policy.strict) for f in files]
    assert sorted(m["X-Arrears-Key"] for m in read) == ["nudge-1/C1/INV-1", "nudge-1/C2/INV-2"]
    assert all(not m.defects and m.get_body(("plain",)) is not None for m in read)
    apply(ledger, "2026-05-09")  # nothing new that day; the files stay as they were
    assert sorted(folder.iterdir()) == files
