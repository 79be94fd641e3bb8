"""Checks and facts that other apps add to the ledger, registered in their AppConfig.ready():
the ledger calls them through this module and never imports those apps.

A debit-kind source has `kinds(org, invoice_pks) -> {invoice pk: "fees" | "interest"}` for
invoices that are not principal (a fee invoice of the charges app): payments settle them in
the order `ARREARS_ALLOCATION_ORDER` gives.

A time-entry guard has `refused(org, client_pks) -> {client pk: reason}` (clients for whom new
time entries are refused, e.g. a stopped service level) and `overridden(org, counts, reason,
source)` (entries accepted anyway with `--override REASON`, per client: recorded, alerted).

A policy source has `names(org) -> set of names` of the dunning policies the organisation has:
an imported client or contract may name only those (or none, for the default).
"""

from __future__ import annotations

from typing import Protocol


class TimeEntryGuard(Protocol):
    def refused(self, org, client_pks: set[int]) -> dict[int, str]: ...

    def overridden(self, org, counts: dict[int, int], reason: str, source: str) -> None: ...


time_entry_guards: dict[str, TimeEntryGuard] = {}


def add_time_entry_guard(name: str, guard: TimeEntryGuard) -> None:
    time_entry_guards[name] = guard


debit_kind_sources: dict[str, object] = {}


def add_debit_kinds(name: str, source) -> None:
    debit_kind_sources[name] = source


def debit_kinds(org, invoice_pks) -> dict[int, str]:
    """Invoice pk -> its kind where it is not principal."""
    found: dict[int, str] = {}
    for source in debit_kind_sources.values():
        found.update(source.kinds(org, invoice_pks))
    return found


def refused_time(org, client_pks: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for guard in time_entry_guards.values():
        for pk, reason in guard.refused(org, client_pks).items():
            found.setdefault(pk, reason)
    return found


def time_overridden(org, counts: dict[int, int], reason: str, source: str) -> None:
    for guard in time_entry_guards.values():
        guard.overridden(org, counts, reason, source)


policy_sources: dict[str, object] = {}


def add_policy_names(name: str, source) -> None:
    policy_sources[name] = source


def policy_names(org) -> set[str]:
    """The names of the policies the organisation has, from every source."""
    found: set[str] = set()
    for source in policy_sources.values():
        found |= source.names(org)
    return found
