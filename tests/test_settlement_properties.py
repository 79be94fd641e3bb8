"""For any sequence of invoices, payments, credit notes and write-offs, the money adds up."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.ledger.models import (
    Allocation,
    AllocationKind,
    Client,
    CreditNote,
    Invoice,
    Payment,
    derive_status,
)
from arrears.ledger.settlement import Settler, issue_credit_note, record_payment, write_off

from .factory import make_client, make_invoice

START = date(2026, 1, 1)
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))
op = st.one_of(
    st.tuples(st.just("invoice"), cents, st.integers(0, 1)),
    st.tuples(st.just("pay"), cents, st.integers(0, 1), st.one_of(st.none(), st.integers(0, 30))),
    st.tuples(
        st.just("credit"), cents, st.integers(0, 1), st.one_of(st.none(), st.integers(0, 30))
    ),
    st.tuples(st.just("write_off"), st.integers(0, 30), st.integers(1, 100)),
)


class Rollback(Exception):
    pass


def check_money_adds_up(org):
    invoices = list(Invoice.objects.for_org(org))
    sums = defaultdict(Decimal)
    for a in Allocation.objects.for_org(org):
        assert a.amount > 0
        sums[a.invoice_id, a.kind] += a.amount
    for inv in invoices:
        for value in (inv.total, inv.paid, inv.credited, inv.written_off, inv.outstanding):
            assert isinstance(value, Decimal)
        assert inv.paid == sums[inv.pk, AllocationKind.PAYMENT]
        assert inv.credited == sums[inv.pk, AllocationKind.CREDIT_NOTE]
        assert inv.written_off == sums[inv.pk, AllocationKind.WRITE_OFF]
        assert 0 <= inv.outstanding <= inv.total
        assert inv.total == inv.paid + inv.credited + inv.written_off + inv.outstanding
        assert inv.status == derive_status(inv.total, inv.paid, inv.credited, inv.written_off)
    for source in (*Payment.objects.for_org(org), *CreditNote.objects.for_org(org)):
        given_out = sum((a.amount for a in source.allocations.all()), Decimal(0))
        assert source.allocated == given_out <= source.amount  # nothing allocated twice
    # credit is only left over when the client has nothing open to spend it on
    for client in Client.objects.for_org(org):
        credit = any(p.unallocated for p in client.payments.all())
        if credit:
            assert not client.invoices.filter(status__in=("open", "partially_paid")).exists()


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(op, min_size=1, max_size=14))
def test_any_sequence_of_settlements_adds_up_to_the_cent(org, ops):
    try:
        with transaction.atomic():
            client = make_client(org, external_id="C", name="C")
            made: list[Invoice] = []
            for n, step in enumerate(ops):
                on = START + timedelta(days=n)
                if step[0] == "invoice":
                    inv = make_invoice(
                        client,
                        number=f"I{n}",
                        issue_date=on,
                        due_date=on + timedelta(days=30 * step[2]),
                        total=step[1],
                    )
                    made.append(inv)
                    settler = Settler(org, [client.pk])  # the new invoice uses any credit
                    settler.use_credit([client.pk])
                    settler.flush()
                elif step[0] in ("pay", "credit"):
                    named = made[step[3] % len(made)] if made and step[3] is not None else None
                    if step[0] == "pay":
                        record_payment(
                            org,
                            client,
                            external_id=f"P{n}",
                            on=on,
                            amount=step[1],
                            currency="GBP",
                            invoice=named,
                        )
                    else:
                        issue_credit_note(
                            org,
                            client,
                            number=f"CN{n}",
                            on=on,
                            amount=step[1],
                            currency="GBP",
                            invoice=named,
                        )
                elif made:
                    inv = Invoice.objects.get(pk=made[step[1] % len(made)].pk)
                    part = (inv.outstanding * step[2] / 100).quantize(Decimal("0.01"))
                    if part > 0:
                        write_off(inv, on=on, reason="test", amount=part)
                check_money_adds_up(org)
            raise Rollback
    except Rollback:
        pass
