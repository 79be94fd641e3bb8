"""The messages the levers send: the client and the team told of a restore, and internal alerts
(a hook failed, time was logged against a stopped client). Each is an outbox action of kind
`level-notice` with a key saying what it is, sent by arrears.levers.runner."""

from __future__ import annotations

from datetime import date

from arrears.dunning.models import OutboxAction
from arrears.ledger.models import Client, Organisation
from arrears.ledger.people import people_of

from .service import client_contacts

KIND = "level-notice"


def _queue(org, client, key, template, to, cc, on, reason, data) -> None:
    if not to:
        return
    OutboxAction.objects.bulk_create(
        [
            OutboxAction(
                organisation=org,
                key=key,
                client=client,
                step=template,
                kind=KIND,
                level="client",
                template=template,
                policy="",
                scheduled_for=on,
                to=list(to),
                cc=[c for c in cc if c not in to],
                reason=reason[:2000],
                data=data,
            )
        ],
        ignore_conflicts=True,
    )


def _team(org: Organisation, client: Client, *, accounting: bool = False) -> list[str]:
    people = people_of(org)
    out: list[str] = []
    found = [client.delivery_lead_email, client.sales_owner_email, *people.leadership]
    if accounting:
        found = [*people.accounting, *people.leadership]
    for email in found:
        if email and email not in out:
            out.append(email)
    return out or [people.fallback]


def queue_restored(org, client, sl, before, reason: str, on: date) -> None:
    """Back to normal: a message to the client, one to the team."""
    paid = reason.removeprefix("paid: ") if reason.startswith("paid: ") else ""
    data = {"audience": "client", "level_from": str(before), "reason": reason, "paid": paid}
    ext, n = client.external_id, sl.episode
    _queue(
        org,
        client,
        f"level-restored/{ext}/{n}",
        "restored",
        client_contacts(client, ("billing",)),
        client_contacts(client, ("accounting", "technical")),
        on,
        reason,
        data,
    )
    _queue(
        org,
        client,
        f"level-restored-alert/{ext}/{n}",
        "level-restored",
        _team(org, client),
        (),
        on,
        reason,
        {**data, "audience": "internal"},
    )


def queue_hook_failed(org: Organisation, row: OutboxAction, error: str, on: date) -> None:
    """Once per failed hook action, to accounting and leadership."""
    _queue(
        org,
        row.client,
        f"hook-failed/{row.key}",
        "hook-failed",
        _team(org, row.client, accounting=True),
        (),
        on,
        error,
        {
            "audience": "internal",
            "hook_key": row.key,
            "event": row.step,
            "error": error,
            "attempts": row.attempts,
        },
    )


def queue_time_override(org: Organisation, client: Client, override, on: date) -> None:
    _queue(
        org,
        client,
        f"time-override/{client.external_id}/{override.pk}",
        "time-override",
        _team(org, client),
        (),
        on,
        override.reason,
        {
            "audience": "internal",
            "level": override.level,
            "override_reason": override.reason,
            "entries": override.entries,
            "source": override.source,
        },
    )
