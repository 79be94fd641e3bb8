"""Performing the levers' outbox actions in the one outbox loop (dunning/loop.py), which claims,
renews the lease, retries and alerts: `hook` (a hook of a change of level) and `level-notice`
(a message about one).

The attempt is written before the side effect (a HookRun `running`) and its outcome after. A
worker that dies mid-hook leaves the row `sending`; the loop takes it over when the lease runs
out (at once if the worker was on this machine) and runs the hook again with the same key, so
hooks must be idempotent by `X-Arrears-Key` / ARREARS_HOOK_KEY: at least once, exactly once
when nothing crashes.

Hooks run in the order they were queued (a restore puts things back in reverse order). A row
waits while an earlier row of the same hook for the same client has not run, so each hook sees
its transitions in order; a hook that keeps failing (a chat server down) does not hold the
other hooks up for days while it is retried.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from arrears.channels import HOOKS
from arrears.channels.base import TransportError
from arrears.channels.email.transport import EmailTransport
from arrears.channels.hooks import Call, Outcome, clip
from arrears.dunning.compose import compose
from arrears.dunning.loop import Performer
from arrears.dunning.models import ActionStatus, Message, OutboxAction

from .models import Escrow, Hook, HookRun, RunOutcome
from .notices import queue_hook_failed

log = logging.getLogger("arrears.levers")
PENDING = (ActionStatus.QUEUED, ActionStatus.SENDING)


class HookPerformer(Performer):
    def perform(self, row: OutboxAction) -> None:
        if self.waits(row):
            self.loop.pass_over(row)
            return
        org = self.loop.org
        hook = Hook.objects.for_org(org).filter(pk=row.data.get("hook")).first()
        if hook is None or not hook.enabled:
            self.loop.cancel(row, "the hook was removed or disabled")
            return
        kind = HOOKS[hook.kind]
        settings, problems = kind.check(hook.settings)
        self.loop.go(row)
        attempt = HookRun.objects.create(
            organisation=org,
            action=row,
            hook=hook,
            key=row.key,
            attempt=row.attempts,
            outcome=RunOutcome.RUNNING,
        )
        if problems:
            self.hook_failed(row, attempt, TransportError("; ".join(problems), permanent=True))
            return
        escrow = None
        if hook.kind == "escrow":
            escrow = Escrow.objects.filter(client_id=row.client_id, name=settings["secret"]).first()
        call = Call(
            key=row.key,
            hook=hook.name,
            event=row.data["event"],
            level_from=row.data["from"],
            level_to=row.data["to"],
            episode=row.data["episode"],
            organisation=org.slug,
            client_pk=row.client_id,
            client_id=row.client.external_id,
            client_name=row.client.name,
            reason=row.reason,
            sealed=escrow.token if escrow else "",
            keepalive=self.loop.renew,
        )
        try:
            outcome = kind.run(settings, call)
        except TransportError as exc:
            self.hook_failed(row, attempt, exc)
            return
        except Exception as exc:  # noqa: BLE001 - a bug in a hook kind: retried a few times
            log.exception("hook %s raised", row.key)
            why = f"{type(exc).__name__}: {exc}"
            self.hook_failed(row, attempt, TransportError(why, permanent=row.attempts >= 3))
            return
        with transaction.atomic():
            if escrow is not None:  # withheld until the restore has run
                Escrow.objects.filter(pk=escrow.pk).update(withheld=call.event.startswith("enter:"))
            HookRun.objects.filter(pk=attempt.pk).update(
                outcome=RunOutcome.OK,
                exit_status=outcome.exit_status,
                http_status=outcome.http_status,
                output=clip(outcome.output),
                finished_at=timezone.now(),
            )
            self.loop.done(row)

    def waits(self, row: OutboxAction) -> bool:
        """A row waits while an earlier row of the same hook and client has not run (a hook
        sees its transitions in order), or while another worker runs an earlier row of the
        client."""
        earlier = OutboxAction.objects.filter(
            organisation_id=row.organisation_id,
            kind=row.kind,
            client_id=row.client_id,
            pk__lt=row.pk,
            status__in=PENDING,
        )
        return earlier.filter(
            Q(status=ActionStatus.SENDING) | Q(data__hook=row.data.get("hook"))
        ).exists()

    def hook_failed(self, row: OutboxAction, attempt: HookRun, exc: TransportError) -> None:
        """The loop's retry or give-up, and the attempt's outcome beside it."""
        gave_up = self.loop.failed(row, exc)
        said = exc.outcome or Outcome()
        HookRun.objects.filter(pk=attempt.pk).update(
            outcome=RunOutcome.FAILED if gave_up else RunOutcome.RETRY,
            exit_status=said.exit_status,
            http_status=said.http_status,
            output=clip("\n".join(x for x in (exc.message, said.output) if x)),
            finished_at=timezone.now(),
        )
        if gave_up:
            queue_hook_failed(self.loop.org, row, exc.message, self.loop.on)


class NoticePerformer(Performer):
    """Sends `level-notice` rows by email and stores them as sent `Message`s."""

    def __init__(self, loop):
        super().__init__(loop)
        self.transport = EmailTransport()

    def perform(self, row: OutboxAction) -> None:
        internal = row.data.get("audience") == "internal"
        org = self.loop.org
        # compose() speaks to a person or to the team by the action's kind
        shown = OutboxAction(
            organisation=org,
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
        outgoing = compose(org, shown, [], None, self.loop.on, dict(row.data))
        self.loop.go(row)
        self.transport.send(outgoing)
        with transaction.atomic():
            Message.record(row, outgoing, sent_at=timezone.now(), kind=shown.kind)
            self.loop.done(row)

    def close(self) -> None:
        self.transport.close()


def hooks(loop) -> HookPerformer:
    return HookPerformer(loop)


def notices(loop) -> NoticePerformer:
    return NoticePerformer(loop)
