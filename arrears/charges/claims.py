"""An invoice's late-payment claim: which clause or law applies, read from the ledger."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from arrears.core.basis import FeeInstead, words
from arrears.core.interest import (
    DAY_COUNTS,
    Claim,
    Clause,
    Debt,
    contractual_claim,
    statutory_claim,
)
from arrears.core.latepayment import Rule, rule_for
from arrears.core.money import Money
from arrears.env import ConfigError, env_str

from .fx import rates_for
from .rates import history_for


def day_count() -> str:
    value = env_str("ARREARS_INTEREST_DAY_COUNT", "actual/365").strip().lower()
    if value not in DAY_COUNTS:
        raise ConfigError(
            f"ARREARS_INTEREST_DAY_COUNT={value!r}: expected one of {', '.join(DAY_COUNTS)}"
        )
    return value


@dataclass(frozen=True)
class Grounds:
    """Why an invoice bears interest: a contract's clause, else a statute, else nothing."""

    clause: Clause | None
    rule: Rule | None
    contract_id: str = ""
    fee_only: Clause | None = None  # a contract with a late fee and no rate: fee + statute


def contract_of(invoice):
    """The invoice's contract, else the client's contract in force on the issue date."""
    if invoice.contract_id:
        return invoice.contract
    from arrears.ledger.models import Contract

    return (
        Contract.objects.for_org(invoice.organisation_id)
        .filter(client_id=invoice.client_id, start_date__lte=invoice.issue_date)
        .order_by("-start_date")
        .first()
    )


def grounds_for(invoice) -> Grounds:
    """A contractual rate wins; without one, the statute of the governing law gives the rate
    (issue 5: "statutory, where the contract has no rate"), and a contractual late fee then
    stands in for the statute's fixed compensation."""
    contract = contract_of(invoice)
    clause = None
    if contract is not None and (
        contract.late_interest_annual_pct is not None or contract.late_fee_fixed is not None
    ):
        clause = Clause(
            annual_pct=contract.late_interest_annual_pct,
            fixed_fee=contract.late_fee_fixed,
            grace_days=contract.late_fee_grace_days or 0,
            cap_pct=contract.late_interest_cap_pct,
        )
        if contract.late_interest_annual_pct is not None:
            return Grounds(clause, None, contract.external_id)
    law = (contract.governing_law if contract is not None else "") or invoice.client.country
    rule = rule_for(law)
    ext = contract.external_id if contract else ""
    if rule is None:
        return Grounds(clause, None, ext)
    return Grounds(None, rule, ext, fee_only=clause)


def debt_of(invoice) -> Debt:
    """The invoice as a debt: its total, and every allocation (payment, credit note,
    write-off) as a reduction on its date."""
    from arrears.ledger.models import Allocation

    reductions = tuple(
        Allocation.objects.for_org(invoice.organisation_id)
        .filter(invoice=invoice)
        .order_by("date", "id")
        .values_list("date", "amount")
    )
    return Debt(Money(invoice.total, invoice.currency), invoice.due_date, reductions)


def is_fee_invoice(invoice) -> bool:
    from .models import Charge

    return Charge.objects.filter(fee_invoice=invoice).exists()


def claim_for(invoice, until: date) -> Claim | None:
    """The claim as of `until`, or None when neither the contract nor the law gives one (and
    for a fee invoice: no interest is claimed on interest)."""
    if is_fee_invoice(invoice):
        return None
    grounds = grounds_for(invoice)
    debt = debt_of(invoice)
    if grounds.clause is not None:
        return contractual_claim(debt, grounds.clause, until, day_count=day_count())
    if grounds.rule is None:
        return None
    org = invoice.organisation
    claim = statutory_claim(
        debt,
        grounds.rule,
        history_for(org),
        until,
        day_count=day_count(),
        fx=rates_for(org, debt.due + timedelta(days=1)),
    )
    fee = grounds.fee_only
    if fee is None or not claim.periods:
        return claim
    parts = (
        *claim.grounds,
        FeeInstead(grounds.contract_id, Money(fee.fixed_fee, debt.principal.currency)),
    )
    return replace(
        claim,
        compensation=fee.fixed_fee,
        contractual=True,  # the fixed sum is the contract's late fee
        total_claim=claim.total_claim - claim.compensation + fee.fixed_fee,
        basis=words(parts),
        grounds=parts,
    )
