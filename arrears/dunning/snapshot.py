"""The planner's input, read from the database in a few flat queries (no ORM objects per
invoice: a big ledger has hundreds of thousands of open invoices)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Case, CharField, Max, Q, StringAgg, Value, When
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
from arrears.core.policy import CLIENT_FACING, Policy
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
from arrears.ledger.models import (
    OPEN_STATUSES,
    Client,
    Contract,
    Invoice,
    Organisation,
)
from arrears.ledger.models import Contact as ContactRecord
from arrears.ledger.people import people_of

if len(InvoiceState._fields) != 13 or len(ClientState._fields) != 10:  # built field by field
    raise ImportError("InvoiceState or ClientState changed: update arrears.dunning.snapshot")
CLAUSES = ("service_modification_clause", "stop_work_clause", "suspension_rights_clause")
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
        pk: (
            ext,
            frozenset(c for c, flag in zip(CLAUSES, flags, strict=True) if flag),
            policy or None,
        )
        for pk, ext, policy, *flags in Contract.objects.for_org(org).values_list(
            "pk", "external_id", "policy", *CLAUSES
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
    invoices: list[InvoiceState] = []
    contracts[None] = (None, frozenset(), None)
    days = _Days()
    paused = disputes or promises
    make = tuple.__new__  # InvoiceState's own __new__ is a Python function: a million calls
    for pk, number, client_pk, issue, due, currency, owed, contract_pk in _rows(invoices_qs):
        ext, clauses, policy = contracts[contract_pk]
        invoices.append(
            make(
                InvoiceState,
                (
                    pk,
                    number,
                    client_pk,
                    days[issue],
                    days[due],
                    currency,
                    Decimal(owed).scaleb(-4),  # FixedDecimalField keeps money times 10**4
                    ext,
                    clauses,
                    policy,  # the contract's; the planner falls back to the client's
                    disputes.get(pk) if paused else None,
                    promises.get(pk) if paused else None,
                    pk in on_plan,
                ),
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


def _rows(invoices_qs):
    """The open invoices' columns straight from the database cursor: a big ledger has hundreds
    of thousands, and converting each row through the ORM would cost more than planning it."""
    meta = Invoice._meta
    table = connection.ops.quote_name(meta.db_table)

    def col(name):
        return f"{table}.{connection.ops.quote_name(meta.get_field(name).column)}"

    owed = f"{col('total')} - {col('paid')} - {col('credited')} - {col('written_off')}"
    dates = [col("issue_date"), col("due_date")]
    if connection.vendor == "sqlite":  # as text: the driver would parse every one of them
        dates = [f"{d} || ''" for d in dates]
    names = ("id", "number", "client")
    select = ", ".join([*(col(n) for n in names), *dates, col("currency"), owed, col("contract")])
    sql, params = invoices_qs.order_by().values_list("pk").query.sql_with_params()
    _, _, rest = sql.partition(" FROM ")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select} FROM {rest}", params)
        while batch := cursor.fetchmany(20_000):
            yield from batch


class _Days(dict):
    """Dates as the driver hands them back (text or dates), one object per distinct day: a
    million invoices fall on a few thousand days."""

    def __missing__(self, d):
        found = self[d] = d if type(d) is date else date.fromisoformat(d)
        return found


def _clients(org: Organisation, pks: set[int]) -> dict[int, ClientState]:
    """The clients with open invoices, and their contacts with their roles: one query for the
    contacts with their roles (in client and email order, a row per role), one for the
    clients, straight from the cursor; each distinct set of roles is one object, and the
    records are built field by field (a NamedTuple's own __new__ is a Python function)."""
    people = (
        ContactRecord.objects.for_org(org)
        .values_list("client_id", "email", "name", "role_set__role")
        .order_by("client_id", "email")
    )
    role_sets: dict[tuple, frozenset] = {}

    def contact(email, name, roles) -> Contact:
        key = tuple(sorted(roles))
        found = role_sets.get(key)
        if found is None:
            found = role_sets[key] = frozenset(key)
        return new(Contact, (email, name, found))

    new = tuple.__new__
    contacts: dict[int, tuple] = {}
    client, email, name, roles, out = None, None, "", [], []
    for client_pk, email_, name_, role in _fetch(people):
        if client_pk not in pks:
            continue
        if (client_pk, email_) != (client, email):
            if email is not None:
                out.append(contact(email, name, roles))
            if client_pk != client:
                if out:
                    contacts[client] = tuple(out)
                out = []
            client, email, name, roles = client_pk, email_, name_, []
        if role:
            roles.append(role)
    if email is not None:
        out.append(contact(email, name, roles))
        contacts[client] = tuple(out)
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
        pk: new(
            ClientState,
            (pk, ext, name, country, tz, lang, contacts.get(pk, ()), sales, lead, policy or None),
        )
        for pk, ext, name, country, tz, lang, sales, lead, policy in _fetch(
            Client.objects.for_org(org).values_list(*fields).order_by()
        )
        if pk in pks
    }


def _fetch(values_qs) -> list[tuple]:
    """The rows of a values_list query from the cursor, without the ORM's per-row converters
    (plain text, integer and boolean columns only)."""
    sql, params = values_qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _stream(values_qs):
    """The rows of a values_list query from the cursor, in batches, without the ORM's per-row
    converters (plain text, integer and boolean columns only)."""
    sql, params = values_qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(50_000):
            yield from batch


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
    for inv, text, told_on in _stream(records):
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
