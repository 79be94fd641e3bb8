"""Performing the levers' outbox actions, registered as runners of the daily run:
`hook` (a hook of a change of level) and `level-notice` (a message about one).

Like the email deliverer: a row is claimed with a conditional UPDATE (queued -> sending, in a
transaction: `BEGIN IMMEDIATE` on SQLite, a row lock on PostgreSQL), the attempt is written
before the side effect (a HookRun `running`) and the outcome after; temporary failures go back
to the queue with the engine's backoff, permanent ones (or the last attempt) are marked failed
and alerted once. A worker that dies mid-hook leaves the row `sending`; the next run takes it
over (at once if the worker was on this machine, else when its lease ends) and runs the hook
again with the same key, so hooks must be idempotent by `X-Arrears-Key` / ARREARS_HOOK_KEY:
at least once, exactly once when nothing crashes.

Hooks run in the order they were queued (a restore puts things back in reverse order). A row
waits while an earlier row of the same hook for the same client has not run, so each hook sees
its transitions in order; a hook that keeps failing (a chat server down) does not hold the
other hooks up for days while it is retried.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from arrears.channels.base import TransportError
from arrears.channels.email.transport import EmailTransport
from arrears.dunning.compose import compose
from arrears.dunning.delivery import Delivery
from arrears.dunning.models import ActionStatus, Message, OutboxAction
from arrears.dunning.outbox import LEASE, MAX_ATTEMPTS, claimant_is_dead, retry_delay, worker_name
from arrears.ledger.models import Organisation

from .hooks import HOOKS, Call, HookError
from .hooks.base import clip
from .models import Hook, HookRun, RunOutcome
from .notices import KIND as NOTICE
from .notices import queue_hook_failed

log = logging.getLogger("arrears.levers")
PENDING = (ActionStatus.QUEUED, ActionStatus.SENDING)


class _Runner:
    kind = ""
    in_order = False

    def __init__(self, org: Organisation, on: date, now: datetime):
        self.org, self.on, self.now = org, on, now
        self.me = worker_name()
        self.result = Delivery()
        self.tried: set[int] = set()

    def rows(self):
        return OutboxAction.objects.for_org(self.org).filter(kind=self.kind)

    def take_over_stale(self) -> None:
        stale = self.rows().filter(status=ActionStatus.SENDING)
        for pk, claimed_by, lease in stale.values_list("pk", "claimed_by", "lease_until"):
            if (lease and lease < self.now) or claimant_is_dead(claimed_by):
                self.rows().filter(
                    pk=pk, status=ActionStatus.SENDING, claimed_by=claimed_by
                ).update(status=ActionStatus.QUEUED, claimed_by="", next_attempt_at=None)

    def claim(self) -> OutboxAction | None:
        with transaction.atomic():
            ready = (
                self.rows()
                .filter(status=ActionStatus.QUEUED)
                .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=self.now))
                .exclude(pk__in=self.tried)
                .order_by("pk")
            )
            for pk, client, data in ready.values_list("pk", "client_id", "data"):
                self.tried.add(pk)
                if self.in_order and self.waits(pk, client, data):
                    continue
                claimed = (
                    self.rows()
                    .filter(pk=pk, status=ActionStatus.QUEUED)
                    .update(
                        status=ActionStatus.SENDING,
                        claimed_by=self.me,
                        lease_until=self.now + LEASE,
                        attempts=F("attempts") + 1,
                    )
                )
                if claimed:
                    return OutboxAction.objects.select_related("client").get(pk=pk)
        return None

    def waits(self, pk: int, client: int, data: dict) -> bool:
        """Rows are claimed in the order they were queued; a row also waits while an earlier
        row of the same hook and client has not run (a hook sees its transitions in order),
        or while another worker runs an earlier row of the client."""
        earlier = self.rows().filter(client_id=client, pk__lt=pk, status__in=PENDING)
        return earlier.filter(
            Q(status=ActionStatus.SENDING) | Q(data__hook=data.get("hook"))
        ).exists()

    def run(self) -> Delivery:
        self.take_over_stale()
        try:
            while row := self.claim():
                try:
                    self.perform(row)
                except Exception as exc:  # noqa: BLE001 - one bad row must not stop the others
                    log.exception("%s raised", row.key)
                    self.failed(row, f"{type(exc).__name__}: {exc}", permanent=row.attempts >= 3)
        finally:
            self.close()
        return self.result

    def perform(self, row: OutboxAction) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def finish(self, row: OutboxAction, status: str, **fields) -> None:
        fields.update(status=status, claimed_by="")
        OutboxAction.objects.filter(pk=row.pk, claimed_by=self.me).update(**fields)

    def succeeded(self, row: OutboxAction) -> None:
        self.finish(row, ActionStatus.SENT, sent_at=timezone.now(), last_error="")
        self.result.sent += 1

    def failed(self, row: OutboxAction, error: str, *, permanent: bool) -> bool:
        """Back to the queue, or (permanent, or out of attempts) failed. True if failed."""
        if permanent or row.attempts >= MAX_ATTEMPTS:
            self.finish(row, ActionStatus.FAILED, last_error=error)
            self.result.failed += 1
            self.result.problems.append(f"{row.key}: {error}")
            return True
        self.finish(
            row,
            ActionStatus.QUEUED,
            last_error=error,
            next_attempt_at=timezone.now() + retry_delay(row.attempts),
        )
        self.result.retrying += 1
        self.result.problems.append(f"{row.key}: {error} (will retry)")
        return False


class HookRunner(_Runner):
    kind = "hook"
    in_order = True

    def perform(self, row: OutboxAction) -> None:
        hook = Hook.objects.for_org(self.org).filter(pk=row.data.get("hook")).first()
        if hook is None or not hook.enabled:
            self.finish(row, ActionStatus.CANCELLED, reason="the hook was removed or disabled")
            self.result.cancelled += 1
            return
        kind = HOOKS[hook.kind]
        settings, problems = kind.check(hook.settings)
        attempt = HookRun.objects.create(
            organisation=self.org,
            action=row,
            hook=hook,
            key=row.key,
            attempt=row.attempts,
            outcome=RunOutcome.RUNNING,
        )
        if problems:
            self.hook_failed(row, attempt, HookError("; ".join(problems), permanent=True))
            return
        call = Call(
            key=row.key,
            hook=hook.name,
            event=row.data["event"],
            level_from=row.data["from"],
            level_to=row.data["to"],
            episode=row.data["episode"],
            organisation=self.org.slug,
            client_pk=row.client_id,
            client_id=row.client.external_id,
            client_name=row.client.name,
            reason=row.reason,
        )
        try:
            outcome = kind.run(settings, call)
        except HookError as exc:
            self.hook_failed(row, attempt, exc)
            return
        except Exception as exc:  # noqa: BLE001 - a bug in a hook kind: retried a few times
            log.exception("hook %s raised", row.key)
            self.hook_failed(
                row, attempt, HookError(f"{type(exc).__name__}: {exc}", permanent=row.attempts >= 3)
            )
            return
        with transaction.atomic():
            HookRun.objects.filter(pk=attempt.pk).update(
                outcome=RunOutcome.OK,
                exit_status=outcome.exit_status,
                http_status=outcome.http_status,
                output=clip(outcome.output),
                finished_at=timezone.now(),
            )
            self.succeeded(row)

    def hook_failed(self, row: OutboxAction, attempt: HookRun, exc: HookError) -> None:
        with transaction.atomic():
            gave_up = self.failed(row, exc.message, permanent=exc.permanent)
            HookRun.objects.filter(pk=attempt.pk).update(
                outcome=RunOutcome.FAILED if gave_up else RunOutcome.RETRY,
                exit_status=exc.outcome.exit_status,
                http_status=exc.outcome.http_status,
                output=clip("\n".join(x for x in (exc.message, exc.outcome.output) if x)),
                finished_at=timezone.now(),
            )
            if gave_up:
                queue_hook_failed(self.org, row, exc.message, self.on)


class NoticeRunner(_Runner):
    """Sends `level-notice` rows by email and stores them as sent `Message`s."""

    kind = NOTICE

    def __init__(self, *args):
        super().__init__(*args)
        self.transport = EmailTransport()

    def perform(self, row: OutboxAction) -> None:
        internal = row.data.get("audience") == "internal"
        # compose() speaks to a person or to the team by the action's kind
        shown = OutboxAction(
            organisation=self.org,
            key=row.key,
            client=row.client,
            step=row.step,
            kind="internal" if internal else "email",
            level=row.level,
            template=row.template,
            policy="",
            scheduled_for=row.scheduled_for,
            to=row.to,
            cc=row.cc,
        )
        outgoing = compose(self.org, shown, [], None, self.on, dict(row.data))
        try:
            self.transport.send(outgoing)
        except TransportError as exc:
            self.failed(row, exc.message, permanent=exc.permanent)
            return
        with transaction.atomic():
            Message.record(row, outgoing, sent_at=timezone.now(), kind=shown.kind)
            self.succeeded(row)

    def close(self) -> None:
        self.transport.close()


def run_hooks(org: Organisation, on: date, now: datetime) -> Delivery:
    return HookRunner(org, on, now).run()


def send_notices(org: Organisation, on: date, now: datetime) -> Delivery:
    return NoticeRunner(org, on, now).run()
