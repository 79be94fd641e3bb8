"""The statements on delivery's critical path, in plain SQL.

Between two messages a worker re-checks the ledger and, once the mail server has accepted a
message, writes it down as sent before the next one goes out (so a crash repeats at most one
message per worker). Built through the ORM, these few statements cost more than the SMTP
exchange itself (query compilation, model instances); here each is compiled once per process
and values are adapted by their model fields, so both databases get what the ORM would send.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from arrears.dunning.models import (
    ActionStatus,
    Dispute,
    Message,
    OutboxAction,
    Promise,
    PromiseStatus,
    StepRecord,
    StepState,
)
from arrears.ledger.models import Invoice

MESSAGE_FIELDS = (
    "organisation",
    "client",
    "action",
    "kind",
    "step",
    "subject",
    "body_text",
    "body_html",
    "from_email",
    "to",
    "cc",
    "reply_to",
    "message_id",
    "in_reply_to",
    "references",
    "sent_at",
)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _col(model, name: str) -> str:
    return _q(model._meta.get_field(name).column)


@cache
def _statements(vendor: str) -> dict[str, str]:
    msg, through = Message._meta, Message.invoices.through._meta
    cols = ", ".join(_col(Message, f) for f in MESSAGE_FIELDS)
    marks = ", ".join(["%s"] * len(MESSAGE_FIELDS))
    steps, actions = _q(StepRecord._meta.db_table), _q(OutboxAction._meta.db_table)
    return {
        "message": f"INSERT INTO {_q(msg.db_table)} ({cols}) VALUES ({marks}) "
        f"RETURNING {_col(Message, 'id')}",
        "invoices": f"INSERT INTO {_q(through.db_table)} ({_q('message_id')}, {_q('invoice_id')}) "
        "VALUES (%s, %s)",
        "steps": f"UPDATE {steps} SET {_col(StepRecord, 'state')} = CASE WHEN "
        f"{_col(StepRecord, 'skipping')} THEN %s ELSE %s END "
        f"WHERE {_col(StepRecord, 'action')} = %s AND {_col(StepRecord, 'state')} = %s",
        "finish": f"UPDATE {actions} SET {_col(OutboxAction, 'status')} = %s, "
        f"{_col(OutboxAction, 'claimed_by')} = '', {_col(OutboxAction, 'sent_at')} = %s "
        f"WHERE {_col(OutboxAction, 'id')} = %s AND {_col(OutboxAction, 'claimed_by')} = %s "
        f"AND {_col(OutboxAction, 'status')} = 'sending'",
    }


def _db():
    """The default connection itself: `django.db.connection` is a proxy that looks the
    connection up in a context-local on every attribute, which adds up on this path."""
    return connections[DEFAULT_DB_ALIAS]


@cache
def _adapters(vendor: str, model, fields: tuple[str, ...]) -> tuple:
    """One function per field turning its value into the database's (None: as it is): JSON,
    date and time fields need the backend's adapting; text, numbers and ids go as they are."""
    out = []
    for name in fields:
        field = model._meta.get_field(name)
        if isinstance(field, models.JSONField):
            out.append(lambda v, f=field: f.get_db_prep_save(v, _db()))
        elif isinstance(field, models.DateTimeField):
            out.append(lambda v: _db().ops.adapt_datetimefield_value(v))
        elif isinstance(field, models.DateField):
            out.append(lambda v: _db().ops.adapt_datefield_value(v))
        else:
            out.append(None)
    return tuple(out)


def adapted(model, fields: tuple[str, ...], rows: list[tuple]) -> list[tuple]:
    """Rows of Python values (foreign keys as ids) as the database takes them."""
    adapters = _adapters(_db().vendor, model, fields)
    return [
        tuple(v if a is None else a(v) for v, a in zip(row, adapters, strict=True)) for row in rows
    ]


def message_params(values: dict) -> list:
    """The database values of a message (`values` has MESSAGE_FIELDS, foreign keys as ids),
    adapted before the transaction that writes them: the less a worker does while it holds
    the database's write lock, the less the other workers wait."""
    return list(adapted(Message, MESSAGE_FIELDS, [tuple(values[n] for n in MESSAGE_FIELDS)])[0])


def mark_sent(
    params: list, invoice_pks: list[int], *, records_steps: bool, claimed_by: str
) -> int | None:
    """Store the message (`params` from message_params), link its invoices, flip its steps to
    performed (or skipped), mark the action sent. Call inside a transaction. Returns the
    message's id, or None when the action is no longer claimed by `claimed_by` (roll back)."""
    db = _db()
    sql = _statements(db.vendor)
    action = params[MESSAGE_FIELDS.index("action")]
    with db.cursor() as cursor:
        cursor.execute(sql["message"], params)
        pk = cursor.fetchone()[0]
        if invoice_pks:
            cursor.executemany(sql["invoices"], [(pk, i) for i in invoice_pks])
        if records_steps:
            cursor.execute(
                sql["steps"],
                [StepState.SKIPPED, StepState.PERFORMED, action, StepState.IN_FLIGHT],
            )
        cursor.execute(sql["finish"], [ActionStatus.SENT, params[-1], action, claimed_by])
        if cursor.rowcount != 1:
            return None  # no longer held by `claimed_by`: the caller rolls the transaction back
    return pk


HOLD_FIELDS = (
    "organisation",
    "client",
    "invoice",
    "step",
    "kind",
    "state",
    "skipping",
    "action",
    "on",
    "created_at",
)


@cache
def _insert_sql(vendor: str, model, fields: tuple[str, ...], n: int, returning: tuple) -> str:
    cols = ", ".join(_col(model, f) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    back = f" RETURNING {', '.join(_col(model, f) for f in returning)}" if returning else ""
    return (
        f"INSERT INTO {_q(model._meta.db_table)} ({cols}) VALUES "
        + ", ".join([row] * n)
        + " ON CONFLICT DO NOTHING"
        + back
    )


def insert_new(
    model, fields: tuple[str, ...], rows: list[tuple], *, returning: tuple[str, ...] = ()
) -> list[tuple]:
    """Insert rows of ready database values, leaving out those a unique constraint already
    holds; a few statements of many rows each (at most 999 values: SQLite's oldest limit).
    With `returning`, those fields of the rows actually written (not of those left out).
    The ORM's bulk_create spent more time adapting each field than the database inserting."""
    per = max(1, 999 // len(fields))
    db = _db()
    written: list[tuple] = []
    with db.cursor() as cursor:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            cursor.execute(
                _insert_sql(db.vendor, model, fields, len(chunk), returning),
                [v for r in chunk for v in r],
            )
            if returning:
                written += [tuple(r) for r in cursor.fetchall()]
    return written


def hold(records: list[tuple], on, now) -> None:
    """Write steps in flight, leaving out those the database already holds (the unique
    constraints on invoice and step, client and step). `records`: (organisation id, client id,
    invoice id or None, step, kind, skipping, action id)."""
    ops = _db().ops
    day = ops.adapt_datefield_value(on)
    stamp = ops.adapt_datetimefield_value(now)
    state = StepState.IN_FLIGHT.value
    insert_new(
        StepRecord,
        HOLD_FIELDS,
        [
            (org, client, invoice, step, kind, state, skip, action, day, stamp)
            for org, client, invoice, step, kind, skip, action in records
        ],
    )


@cache
def _state_sql(vendor: str, n: int) -> str:
    inv, dis, pro = Invoice, Dispute, Promise
    sums = ", ".join(f"i.{_col(inv, f)}" for f in ("paid", "credited", "written_off"))
    marks = ", ".join(["%s"] * n)
    return (
        f"SELECT i.{_col(inv, 'id')}, i.{_col(inv, 'status')}, {sums}, "
        f"CASE WHEN EXISTS (SELECT 1 FROM {_q(dis._meta.db_table)} d "
        f"WHERE d.{_col(dis, 'invoice')} = i.{_col(inv, 'id')} "
        f"AND d.{_col(dis, 'resolved_on')} IS NULL) THEN 1 ELSE 0 END, "
        f"CASE WHEN EXISTS (SELECT 1 FROM {_q(pro._meta.db_table)} p "
        f"WHERE p.{_col(pro, 'invoice')} = i.{_col(inv, 'id')} "
        f"AND p.{_col(pro, 'status')} = %s AND p.{_col(pro, 'until')} >= %s) THEN 1 ELSE 0 END "
        f"FROM {_q(inv._meta.db_table)} i WHERE i.{_col(inv, 'id')} IN ({marks})"
    )


def ledger_state(pks: list[int], promised_since, *, promises_pause: bool):
    """(pk, status, paid, credited, written off, disputed, promised) for invoices, straight from
    the tables: this runs right before every send, so it is one query."""
    db = _db()
    sql = _state_sql(db.vendor, len(pks))
    since = db.ops.adapt_datefield_value(promised_since)
    status = PromiseStatus.ACTIVE.value if promises_pause else "-"
    with db.cursor() as cursor:
        cursor.execute(sql, [status, since, *pks])
        rows = cursor.fetchall()
    money = lambda v: Decimal(v).scaleb(-4)  # noqa: E731 - FixedDecimalField: money times 10**4
    return [
        (pk, st, money(pd), money(cr), money(wo), bool(d), bool(p))
        for pk, st, pd, cr, wo, d, p in rows
    ]
