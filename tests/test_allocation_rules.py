"""The pure allocation rule: named invoice first, then oldest first, the rest is credit."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from arrears.core.allocation import OpenItem, allocate


def item(key, due, outstanding):
    return OpenItem(key, date(2026, 1, due), date(2026, 1, 1), f"INV-{key}", Decimal(outstanding))


def test_oldest_first_then_credit():
    result = allocate(Decimal("150"), [item("b", 20, "100"), item("a", 10, "100")])
    assert [(p.key, p.amount) for p in result.parts] == [
        ("a", Decimal("100")),
        ("b", Decimal("50")),
    ]
    assert result.remainder == 0


def test_the_named_invoice_comes_first():
    result = allocate(Decimal("80"), [item("a", 10, "100"), item("b", 20, "50")], named="b")
    assert [(p.key, p.amount) for p in result.parts] == [("b", Decimal("50")), ("a", Decimal("30"))]


def test_what_nothing_needs_is_credit():
    result = allocate(Decimal("30"), [item("a", 10, "0")])
    assert result.parts == () and result.remainder == Decimal("30")


amounts = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)


@given(amounts, st.lists(amounts, max_size=8))
def test_parts_and_remainder_add_up_and_no_invoice_gets_more_than_it_owes(amount, owed):
    items = [item(str(i), 1 + i % 28, o) for i, o in enumerate(owed)]
    result = allocate(amount, items)
    assert result.allocated + result.remainder == amount
    by_key = {i.key: i.outstanding for i in items}
    assert all(0 < p.amount <= by_key[p.key] for p in result.parts)
    assert len({p.key for p in result.parts}) == len(result.parts)
    assert all(isinstance(p.amount, Decimal) for p in result.parts)
