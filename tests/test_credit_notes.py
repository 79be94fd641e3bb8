# ruff: noqa: F811  (the ledger fixture is imported from test_import)
"""Credit notes: a second one on the same invoice gets the next number, also when two
commands issue them at the same moment; a number given that exists is a clear error."""

from __future__ import annotations

from decimal import Decimal

from arrears.ledger.models import CreditNote, Invoice

from .procs import installation, seed_nudges
from .test_import import ledger  # noqa: F401  (a fixture)


def test_a_second_credit_note_on_an_invoice_gets_the_next_number(ledger, org):
    ledger("credit-note", "INV-1", "100.00", "--reason", "Late sprint demo", "--date", "2026-03-01")
    result = ledger(
        "credit-note", "INV-1", "50.00", "--reason", "Another delay", "--date", "2026-03-02"
    )
    assert "credit note CN-INV-1-2" in result.output
    ledger("credit-note", "INV-1", "25.00", "--reason", "And another")
    assert sorted(CreditNote.objects.for_org(org).values_list("number", flat=True)) == [
        "CN-INV-1",
        "CN-INV-1-2",
        "CN-INV-1-3",
    ]
    assert Invoice.objects.get(number="INV-1").credited == Decimal("175.00")
    result = ledger(
        "credit-note", "INV-1", "5.00", "--reason", "x", "--number", "CN-INV-1", ok=False
    )
    assert "credit note CN-INV-1 already exists" in result.stderr
    assert "Traceback" not in result.output
    result = ledger(
        "credit-note", "INV-1", "5.00", "--reason", "x", "--date", "0001-01-01", ok=False
    )
    assert "0001-01-01 is outside the dates a ledger holds" in result.stderr


def test_credit_notes_issued_at_once_by_several_processes_each_get_their_own_number(tmp_path):
    with installation(tmp_path) as inst:
        seed_nudges(inst, 1)  # INV-0000: 100.50 GBP
        procs = [
            inst.start("credit-note", "INV-0000", "10.00", "--reason", f"goodwill {n}")
            for n in range(4)
        ]
        results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        assert all(code == 0 for code, _, _ in results), results
        numbers = sorted(n for (n,) in inst.query("SELECT number FROM ledger_creditnote"))
        assert numbers == ["CN-INV-0000", "CN-INV-0000-2", "CN-INV-0000-3", "CN-INV-0000-4"]
        (credited,) = inst.query("SELECT credited FROM ledger_invoice WHERE number = 'INV-0000'")
        assert credited[0] == 400000  # 40.00, stored x 10^4
