"""The planner's input, read from the database in a few flat queries of plain values (no model
objects: a big ledger has hundreds of thousands of open invoices)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import NamedTuple

from django.db.models import (
    Case,
    CharField,
    ExpressionWrapper,
    F,
    Field,
    Max,
    Q,
    StringAgg,
    Value,
    When,
)
from django.db.models.functions import Cast

from arrears.core.planner import (
    ClientState,
    Contact,
    History,
    InvoiceState,
    People,
    Plan,
    PromiseState,
    plan,
)
from arrears.core.policy import CLAUSES, CLIENT_FACING, Policy
from arrears.dunning import extensions
from arrears.dunning.models import (
    ActionStatus,
    Approval,
    ApprovalItem,
    Dispute,
    OutboxItem,
    Promise,
    PromiseStatus,
    StepRecord,
    StepState,
)
from arrears.dunning.policy_store import load_policies
from arrears.ledger.fields import money_field
from arrears.ledger.models import (
    OPEN_STATUSES,
    Client,
    Contract,
    Invoice,
    Organisation,
)
from arrears.ledger.models import Contact as ContactRecord
from arrears.ledger.people import people_of

IN_FLIGHT = (ActionStatus.QUEUED, ActionStatus.SENDING)


@dataclass
class Snapshot:
    clients: dict[int, ClientState]
    invoices: list[InvoiceState]
    history: History
    people: People
    policies: dict[str, Policy]

    def plan(self, on: date, **options) -> Plan:
        """`core.planner.plan` over this snapshot (options: explain, want)."""
        return plan(
            self.clients, self.invoices, self.policies, self.history, self.people, on, **options
        )


def load(org: Organisation, *, client_id: str | None = None, invoice_pks=None) -> Snapshot:
    invoices_qs = Invoice.objects.for_org(org).filter(status__in=OPEN_STATUSES)
    if client_id is not None:
        invoices_qs = invoices_qs.filter(client__external_id=client_id)
    if invoice_pks is not None:
        invoices_qs = invoices_qs.filter(pk__in=invoice_pks)
    contracts = {
        row.pk: Terms(
            row.external_id,
            frozenset(clause for clause in CLAUSES if getattr(row, clause)),
            row.policy or None,  # the contract's; the planner falls back to the client's
        )
        for row in Contract.objects.for_org(org).values_list(
            "pk", "external_id", "policy", *CLAUSES, named=True
        )
    }
    disputes = dict(
        Dispute.objects.for_org(org)
        .filter(resolved_on__isnull=True)
        .values_list("invoice_id", "reason")
    )
    promises = {
        inv: PromiseState(pk, until)
        for pk, inv, until in Promise.objects.for_org(org)
        .filter(status=PromiseStatus.ACTIVE)
        .values_list("pk", "invoice_id", "until")
    }
    on_plan = extensions.covered(org)  # invoices of active payment plans leave the ladder
    no_contract = Terms(None, frozenset(), None)
    invoices: list[InvoiceState] = []
    days = _Days()
    money = money_field().from_db_value  # the column's own converter, called here: see below
    for pk, number, client_pk, issued_on, due_on, currency, owed, contract_pk in _open_invoices(
        invoices_qs
    ):
        owed = money(owed, None, None)
        terms = contracts.get(contract_pk, no_contract)
        invoices.append(
            InvoiceState(  # in the fields' order: keywords cost 0.25 s of a 1M cold plan's 4.5
                pk,
                number,
                client_pk,
                days[issued_on],
                days[due_on],
                currency,
                owed,
                terms.external_id,
                terms.clauses,
                terms.policy,
                disputes.get(pk),
                promises.get(pk),
                pk in on_plan,
            )
        )
    client_pks = {i.client_pk for i in invoices}
    return Snapshot(
        _clients(org, client_pks),
        invoices,
        _history(org, invoices, client_pks),
        people_of(org),
        load_policies(org),
    )


class Terms(NamedTuple):
    """What the planner needs of a contract."""

    external_id: str | None
    clauses: frozenset[str]  # the clauses that are `yes`
    policy: str | None


def _open_invoices(invoices_qs):
    """The open invoices' columns, in chunks: a big ledger has hundreds of
    thousands, and model objects would cost more than planning them. The dates come as ISO
    text, made into one `date` per distinct day (`_Days`): a million invoices fall on a few
    thousand days, and SQLite's converter would parse every one (0.3 s of a 3 s plan). The
    amount owed comes as the stored scaled integer, converted by the caller: with no column
    needing a converter the ORM hands its rows over as they are (0.15 s of a 1M cold plan)."""
    owed = F("total") - F("paid") - F("credited") - F("written_off")
    return (
        invoices_qs.order_by()
        .annotate(
            owed=ExpressionWrapper(owed, output_field=Field()),  # as stored: no converter
            issued_on=Cast("issue_date", CharField()),
            due_on=Cast("due_date", CharField()),
        )
        .values_list(
            "pk",
            "number",
            "client_id",
            "issued_on",
            "due_on",
            "currency",
            "owed",
            "contract_id",
        )
        .iterator(chunk_size=20_000)
    )


def _clients(org: Organisation, pks: set[int]) -> dict[int, ClientState]:
    """The clients with open invoices, with their contacts and the contacts' roles: one query
    for the contacts (a row per role, in client and email order), one for the clients. Each
    distinct set of roles is one frozenset, shared by the contacts that have it."""
    contact_rows = (
        ContactRecord.objects.for_org(org)
        .order_by("client_id", "email")
        .values_list("client_id", "email", "name", "role_set__role", named=True)
    )
    role_sets: dict[frozenset, frozenset] = {}
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for (client_pk, email), rows in groupby(contact_rows, key=_client_and_email):
        if client_pk not in pks:
            continue
        rows = list(rows)
        roles = frozenset(row.role_set__role for row in rows if row.role_set__role)
        roles = role_sets.setdefault(roles, roles)
        contacts[client_pk].append(Contact(email=email, name=rows[0].name, roles=roles))
    fields = (
        "pk",
        "external_id",
        "name",
        "country",
        "timezone",
        "language",
        "sales_owner_email",
        "delivery_lead_email",
        "policy",
    )
    return {
        row.pk: ClientState(
            pk=row.pk,
            external_id=row.external_id,
            name=row.name,
            country=row.country,
            timezone=row.timezone,
            language=row.language,
            contacts=tuple(contacts.get(row.pk, ())),
            sales_owner=row.sales_owner_email,
            delivery_lead=row.delivery_lead_email,
            policy=row.policy or None,
        )
        for row in Client.objects.for_org(org).order_by().values_list(*fields, named=True)
        if row.pk in pks
    }


def _client_and_email(row) -> tuple[int, str]:
    return row.client_id, row.email


class _Days(dict):
    """Days from ISO text, one object per distinct day: a million records fall on a few
    thousand days."""

    def __missing__(self, text: str) -> date:
        found = self[text] = date.fromisoformat(text)
        return found


def _history(org: Organisation, invoices: list[InvoiceState], client_pks: set[int]) -> History:
    h = History()
    open_pks = {i.pk for i in invoices}
    # An open invoice of a big ledger has a few records: millions of rows on a steady day. The
    # database folds them into one row per invoice: its steps as text (`nudge-1,due,...`; step
    # ids have no commas) and the day of the last message the client got, as ISO text (the
    # driver would parse every date). Each distinct text becomes one frozenset shared by every
    # invoice with the same steps: a handful of sets for hundreds of thousands of invoices.
    # The records are looked up by open invoice (a subquery, not a join): a ledger keeps the
    # records of every invoice it ever chased, and a join would make the database read them all.
    told = Q(state=StepState.PERFORMED, kind__in=sorted(CLIENT_FACING))
    open_invoices = Invoice.objects.for_org(org).filter(status__in=OPEN_STATUSES).values("pk")
    records = (
        StepRecord.objects.for_org(org)
        .filter(invoice_id__in=open_invoices)
        .values("invoice_id")
        .annotate(
            steps=StringAgg("step", Value(",")),
            told=Max(Case(When(told, then=Cast("on", CharField())), output_field=CharField())),
        )
        .values_list("invoice_id", "steps", "told")
        .order_by()
    )
    done, last_message, days = h.done, h.last_message, _Days()
    by_text: dict[str, frozenset] = {}
    shared: dict[frozenset, frozenset] = {}
    for inv, text, told_on in records.iterator(chunk_size=50_000):
        if inv not in open_pks:
            continue
        steps = by_text.get(text)
        if steps is None:
            steps = frozenset(text.split(","))
            steps = by_text[text] = shared.setdefault(steps, steps)
        done[inv] = steps
        if told_on is not None:
            last_message[inv] = days[told_on]
    for client, step, on in (
        StepRecord.objects.for_org(org)
        .filter(invoice__isnull=True)
        .values_list("client_id", "step", "on")
    ):
        if client in client_pks:
            h.client_done.setdefault(client, {})[step] = on
    # what is queued or being sent counts as done: it must not be planned a second time
    pending = OutboxItem.objects.filter(
        action__organisation=org, action__status__in=IN_FLIGHT, skipped=False
    )
    for inv, step, level, client, on in pending.values_list(
        "invoice_id", "step", "action__level", "action__client_id", "action__scheduled_for"
    ):
        if level == "client":
            h.client_done.setdefault(client, {}).setdefault(step, on)
        else:
            h.done[inv] = frozenset((*h.done.get(inv, ()), step))
    for key, decision in Approval.objects.for_org(org).values_list("key", "decision"):
        h.approvals[key] = decision
    for inv, step, decision in ApprovalItem.objects.filter(approval__organisation=org).values_list(
        "invoice_id", "step", "approval__decision"
    ):
        h.item_approvals[(inv, step)] = decision
    return h
