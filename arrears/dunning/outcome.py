"""What became of a client message, for the internal alert that rides along with its step.

The planner queues the alert (`nudge-3-alert`) beside the message it is about and carries the
message's key, and whether it could be sent at all (`message_status`: `blocked` when the client
has no contact to send to, with the reason). When the alert is composed, the message's own
outbox row says the rest: sent (to whom, when), not sent (the mail server refused it, or the
invoice was paid, disputed or promised since), or still waiting (the client's send window, a
retry). The alert says that, and what to do about it, rather than "has been sent".
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from arrears.core.actions import Status
from arrears.dunning.models import ActionStatus, Message, OutboxAction

SENT, NOT_SENT, WAITING, SENDING = "sent", "not sent", "queued", "being sent"
PAUSES = ("is disputed", "is promised")  # a re-check's reasons that pause the ladder


def outcome(org, alert: OutboxAction, ctx: dict, on: date) -> dict:
    """`outcome` (sent, not sent, queued, being sent), `outcome_text` (what happened) and
    `todo` (what the team should do, if anything) for the alert's template."""
    step = alert.step.removesuffix("-alert")
    client = ctx.get("client_id", "")
    data = alert.data or {}
    if data.get("message_status") == Status.BLOCKED:
        return _said(
            NOT_SENT,
            f"{step} was not sent: {data.get('message_reason') or 'no contact to send to'}.",
            f"Add a contact with that role for {client} (the admin's client page, or arrears "
            "import contacts FILE); the next run writes to them.",
        )
    row = _message_row(org, alert, step, data.get("message"))
    if row is None:
        return _said(NOT_SENT, f"{step} was not queued for {client}.", _look(client))
    if row.status == ActionStatus.SENT:
        return _sent(org, row, step, on)
    if row.status == ActionStatus.FAILED:
        return _said(
            NOT_SENT,
            f"{step} was not sent: the mail server refused it ({_first_line(row.last_error)}).",
            f"Correct the address in {client}'s contacts (the admin's client page, or arrears "
            f"import contacts FILE --update), or reach them another way. {_look(client)}",
        )
    if row.status == ActionStatus.CANCELLED:
        reason = row.reason or "cancelled"
        if any(p in reason for p in PAUSES):
            return _said(
                NOT_SENT,
                f"{step} was not sent: paused, as {reason}.",
                "Nothing for now: the reminders resume when the dispute is resolved or the "
                "promised date and its grace have passed.",
            )
        return _said(NOT_SENT, f"{step} was not sent: {reason}.", "")
    if row.status == ActionStatus.SENDING:  # another worker holds it (ours settle it first)
        return _said(SENDING, f"{step} is being sent to {_to(row)} now.", "")
    now = timezone.now()
    if row.next_attempt_at and row.next_attempt_at > now and row.last_error:
        again = _at(row.next_attempt_at, org.timezone)
        return _said(
            WAITING,
            f"{step} is not sent yet: the mail server answered "
            f"{_first_line(row.last_error)}; it is tried again at {again}.",
            "",
        )
    if row.not_before and row.not_before > now:
        tz = alert.client.timezone if alert.client else org.timezone
        return _said(
            WAITING,
            f"{step} goes out to {_to(row)} at {_at(row.not_before, tz)}, when the client's "
            "send window opens.",
            "",
        )
    return _said(WAITING, f"{step} is queued for {_to(row)} and goes out with the next run.", "")


def _said(state: str, text: str, todo: str) -> dict:
    return {"outcome": state, "outcome_text": text, "todo": todo}


def _message_row(org, alert: OutboxAction, step: str, key: str | None) -> OutboxAction | None:
    rows = OutboxAction.objects.for_org(org)
    if key:
        return rows.filter(key=key).first()
    # an alert queued before alerts carried their message's key: the client's message of
    # that step planned the same day
    return (
        rows.filter(client_id=alert.client_id, step=step, scheduled_for=alert.scheduled_for)
        .exclude(kind__in=("internal", "recommendation"))
        .order_by("-pk")
        .first()
    )


def _sent(org, row: OutboxAction, step: str, on: date) -> dict:
    message = Message.objects.filter(action=row).order_by("-sent_at").first()
    if message is None:
        return _said(SENT, f"{step} was sent to {_to(row)}.", "")
    who = ", ".join(message.to) + (f" (cc {', '.join(message.cc)})" if message.cc else "")
    local = message.sent_at.astimezone(ZoneInfo(org.timezone))
    when = (
        f"today at {local:%H:%M}"
        if local.date() == on
        else f"at {_at(message.sent_at, org.timezone)}"
    )
    return _said(SENT, f"{step} was sent to {who} {when}.", "")


def _to(row: OutboxAction) -> str:
    return ", ".join(row.to) or "the client"


def _at(moment: datetime, tz: str) -> str:
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local:%H:%M} on {local:%Y-%m-%d} ({tz})"


def _first_line(text: str) -> str:
    return (text or "no reason given").strip().splitlines()[0]


def _look(client: str) -> str:
    return f"arrears timeline {client} shows each message and its outcome."
