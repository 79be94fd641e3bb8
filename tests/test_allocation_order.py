"""The allocation order of principal, fees and interest, as pure rules: where fees and
interest are debits of their own, a configured order settles them kind by kind (oldest first
within a kind) after the invoice the payer named; without an order, oldest first as before."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.core.allocation import OpenItem, allocate, check_order

# INV-1 (principal, due 1 March) 1000.00; its late fee INV-1-F1 (due 1 April) 40.00; the
# interest on it INV-1-F2 (due 1 April) 12.34; INV-2 (principal, due 1 February) 500.00.
ITEMS = [
    OpenItem("INV-1", date(2026, 3, 1), date(2026, 2, 1), "INV-1", Decimal("1000.00")),
    OpenItem("F1", date(2026, 4, 1), date(2026, 4, 1), "INV-1-F1", Decimal("40.00"), "fees"),
    OpenItem("F2", date(2026, 4, 1), date(2026, 4, 1), "INV-1-F2", Decimal("12.34"), "interest"),
    OpenItem("INV-2", date(2026, 2, 1), date(2026, 1, 1), "INV-2", Decimal("500.00")),
]


@pytest.mark.parametrize(
    "amount, order, named, parts, left",
    [
        # no order: oldest first whatever the kind: INV-2 500.00, then INV-1 100.00
        ("600.00", (), None, [("INV-2", "500.00"), ("INV-1", "100.00")], "0.00"),
        # interest, fees, then principal: 12.34 + 40.00 = 52.34; 600.00 - 52.34 = 547.66
        # goes to the principal oldest first: INV-2 500.00, INV-1 47.66
        (
            "600.00",
            ("interest", "fees", "principal"),
            None,
            [("F2", "12.34"), ("F1", "40.00"), ("INV-2", "500.00"), ("INV-1", "47.66")],
            "0.00",
        ),
        # principal first, then fees, then interest: 1500.00 of principal, 40.00 of the fee,
        # 10.00 of the interest (1550.00 in all)
        (
            "1550.00",
            ("principal", "fees", "interest"),
            None,
            [("INV-2", "500.00"), ("INV-1", "1000.00"), ("F1", "40.00"), ("F2", "10.00")],
            "0.00",
        ),
        # the invoice named still comes first; the rest follows the order; 2000.00 - 1552.34
        # = 447.66 is left as client credit
        (
            "2000.00",
            ("interest", "fees", "principal"),
            "INV-1",
            [("INV-1", "1000.00"), ("F2", "12.34"), ("F1", "40.00"), ("INV-2", "500.00")],
            "447.66",
        ),
    ],
)
def test_the_order_of_principal_fees_and_interest(amount, order, named, parts, left):
    result = allocate(Decimal(amount), ITEMS, named=named, order=order)
    assert [(p.key, str(p.amount)) for p in result.parts] == parts
    assert str(result.remainder) == left


@pytest.mark.parametrize("order", [("fees", "principal"), ("fees", "fees", "interest"), ()])
def test_an_order_must_name_each_kind_once(order):
    with pytest.raises(ValueError, match="name each of principal, fees, interest once"):
        check_order(order)


@given(
    cents=st.integers(min_value=0, max_value=500_000),
    order=st.permutations(["principal", "fees", "interest"]),
)
def test_any_order_allocates_to_the_cent(cents, order):
    amount = Decimal(cents).scaleb(-2)
    result = allocate(amount, ITEMS, order=order)
    assert result.allocated + result.remainder == amount
    assert all(isinstance(p.amount, Decimal) for p in result.parts)
    assert all(
        p.amount <= next(i for i in ITEMS if i.key == p.key).outstanding for p in result.parts
    )
