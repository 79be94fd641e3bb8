"""The one outbox loop: every side effect of the product goes through here.

It owns what every kind of outbox row shares — claiming, the lease, attempts and backoff, the
send window, cancelling, and the one failure alert a day — and hands each claimed row to the
performer registered for its kind (`extensions.add_performer`): email for the ladder's
messages, hooks and level notices for the levers, the escalation emails and chat digest for
exposure. A performer does the side effect through a channel and records its outcome; it never
claims, retries or alerts on its own.

The claim (see ARCHITECTURE.md, "What each channel guarantees"):
- rows are claimed with a conditional UPDATE (queued -> sending) in a transaction: `SELECT …
  FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite `BEGIN IMMEDIATE` and the writers' turn
  (turns.py) serialise claims. Two workers never hold the same row.
- the lease is counted from the claim (`ARREARS_LEASE_SECONDS`, default 600) and renewed by the
  claimant right before each side effect (`go`), for every row it still holds. Another worker
  takes a row over only when its lease ran out (its claimant stopped renewing) or its claimant
  is a process of this machine that no longer exists.
- a claimant that lost a row (taken over while it was slow) sends nothing more of it: `go`
  raises `LostClaim` before the side effect; and marking a row done that is no longer held
  updates no row, which is an error — logged, alerted, and the transaction that would have
  recorded the outcome is rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from arrears.channels.base import TransportError
from arrears.core.calendar import calendar_for
from arrears.core.policy import Policy
from arrears.dunning import extensions
from arrears.dunning.models import ActionStatus, OutboxAction, StepRecord, StepState
from arrears.dunning.outbox import (
    MAX_ATTEMPTS,
    claimant_is_dead,
    retry_delay,
    window_bounds,
    worker_name,
)
from arrears.dunning.turns import writer_turn
from arrears.ledger.models import Organisation

log = logging.getLogger("arrears.outbox")
BATCH = 50
QUIET = ("internal", "recommendation")  # failures of the team's own alerts raise no alert


class LostClaim(Exception):
    """The row is no longer held by this worker (its lease ran out and another took it)."""


@dataclass
class Delivery:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    problems: list[str] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)  # sent, per outbox kind

    def merge(self, other: Delivery) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.cancelled += other.cancelled
        self.problems += other.problems
        for kind, n in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n

    def count_sent(self, kind: str) -> None:
        self.sent += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


def lease() -> timedelta:
    return timedelta(seconds=settings.LEASE_SECONDS)


class Loop:
    """Claims due outbox rows of an organisation and has each performed by its kind's
    performer. `kinds`: only these kinds (None: every kind)."""

    def __init__(
        self,
        org: Organisation,
        on: date,
        *,
        now: datetime | None = None,
        honour_window: bool = True,
        policies: dict[str, Policy] | None = None,
        progress: Callable[[int], None] | None = None,
        kinds: tuple[str, ...] | None = None,
        heartbeat: Callable[[], None] | None = None,
    ):
        self.org = org
        self.on = on
        self.now = now or timezone.now()
        self.honour_window = honour_window
        self.policies = policies or {}
        self.progress = progress
        self.kinds = kinds
        self.heartbeat = heartbeat  # told at each claim that this worker is alive (a run's lease)
        self.me = worker_name()
        self.result = Delivery()
        self.held: set[int] = set()  # rows claimed by this worker and not finished
        self.lease_until = self.now  # when the lease of the rows held runs out, at the earliest
        # rows are claimed in id order, each once per run: a row put back for a retry, or
        # handed back to wait for an earlier one, is left for a later run
        self.after = 0
        self.performers: dict[object, Performer] = {}  # factory -> its performer

    # -- what is due ---------------------------------------------------------------------------
    def rows(self):
        rows = OutboxAction.objects.for_org(self.org)
        return rows if self.kinds is None else rows.filter(kind__in=self.kinds)

    def ready(self):
        q = Q(status=ActionStatus.QUEUED) & (
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=self.now)
        )
        if self.honour_window:
            q &= Q(not_before__isnull=True) | Q(not_before__lte=self.now)
            q &= Q(not_after__isnull=True) | Q(not_after__gt=self.now)
        return self.rows().filter(q, pk__gt=self.after)

    def count_ready(self) -> int:
        return self.ready().count()

    def take_over_stale(self) -> None:
        """Rows left `sending` by a claimant that stopped renewing its lease, or by a process
        of this machine that no longer exists, go back to the queue; their send window stays."""
        stale = self.rows().filter(status=ActionStatus.SENDING)
        now = timezone.now()
        for pk, claimed_by, until in stale.values_list("pk", "claimed_by", "lease_until"):
            if (until and until < now) or claimant_is_dead(claimed_by):
                OutboxAction.objects.filter(
                    pk=pk, status=ActionStatus.SENDING, claimed_by=claimed_by
                ).update(status=ActionStatus.QUEUED, claimed_by="", next_attempt_at=None)

    def roll_windows(self) -> None:
        """A client-facing row whose send window closed before it went out waits for the
        window of the client's next business day: never a reminder at 03:18 local time."""
        if not self.honour_window:
            return
        late = (
            self.rows()
            .filter(status=ActionStatus.QUEUED, not_after__lte=self.now)
            .select_related("client")
        )
        for row in late:
            start, end = next_window(row, self.policies.get(row.policy), self.now)
            OutboxAction.objects.filter(pk=row.pk, status=ActionStatus.QUEUED).update(
                not_before=start, not_after=end
            )

    def claim(self, limit: int = BATCH) -> list[int]:
        if self.heartbeat is not None:
            self.heartbeat()
        with writer_turn(), transaction.atomic():
            qs = self.ready().order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            ids = list(qs.values_list("pk", flat=True)[:limit])
            if ids:
                until = timezone.now() + lease()
                OutboxAction.objects.filter(pk__in=ids, status=ActionStatus.QUEUED).update(
                    status=ActionStatus.SENDING,
                    claimed_by=self.me,
                    lease_until=until,
                    attempts=F("attempts") + 1,
                )
                self.lease_until = min(self.lease_until, until) if self.held else until
        self.held.update(ids)
        self.after = max(ids, default=self.after)
        return ids

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> Delivery:
        """Perform what is ready; may be called again for what was queued meanwhile (rows
        already tried are left for a later run). Returns the counts of every call so far."""
        self.take_over_stale()
        self.roll_windows()
        try:
            while ids := self.claim():
                rows = [
                    r
                    for r in OutboxAction.objects.filter(pk__in=ids)
                    .select_related("client")
                    .order_by("pk")
                    if r.status == ActionStatus.SENDING and r.claimed_by == self.me
                ]
                for performer in dict.fromkeys(self.performer(r.kind) for r in rows):
                    performer.load([r for r in rows if self.performer(r.kind) is performer])
                for row in rows:
                    self.perform(row)
                    if self.progress:
                        self.progress(1)
                for performer in self.performers.values():
                    performer.flush()
        finally:
            for performer in self.performers.values():
                performer.close()
        return self.result

    def performer(self, kind: str) -> Performer:
        """The performer of `kind` for this run (one per registered factory, so that kinds
        sharing one share its connection)."""
        factory = extensions.performers.get(kind) or extensions.performers["*"]
        if factory not in self.performers:
            self.performers[factory] = factory(self)
        return self.performers[factory]

    def perform(self, row: OutboxAction) -> None:
        try:
            self.performer(row.kind).perform(row)
        except LostClaim:
            self.lost(row)
        except TransportError as exc:
            self.failed(row, exc)
        except Exception as exc:  # noqa: BLE001 - one bad row must not stop the others
            self.crashed(row, exc)

    # -- what performers call ------------------------------------------------------------------
    def go(self, row: OutboxAction) -> None:
        """Right before a side effect: renew the lease (`renew`) and raise LostClaim when `row`
        is no longer held by this worker."""
        if row.pk not in self.held:
            raise LostClaim(row.key)
        self.renew()
        if row.pk not in self.held:
            raise LostClaim(row.key)

    def renew(self) -> None:
        """Make sure the lease of every row this worker holds has at least half its length to
        run, renewing it in the database when it has less; rows another worker took over are
        no longer held. While more than half of a lease is left nobody can have taken a row
        over, so the database is not asked (one UPDATE per message cost a third of a fast
        mail server's throughput). Also called while a long side effect runs (a command hook
        may run for an hour), so that a live worker never loses its claim."""
        now = timezone.now()
        if not self.held or self.lease_until - now > lease() / 2:
            return
        mine = OutboxAction.objects.filter(
            pk__in=self.held, claimed_by=self.me, status=ActionStatus.SENDING
        )
        renewed = mine.update(lease_until=now + lease())
        self.lease_until = now + lease()
        if renewed != len(self.held):
            self.held &= set(mine.values_list("pk", flat=True))

    def done(self, row: OutboxAction, **fields) -> None:
        """Mark `row` sent (call inside the transaction that records its outcome). A row no
        longer held raises LostClaim, which rolls that transaction back."""
        fields.setdefault("sent_at", timezone.now())
        self.finish(row, ActionStatus.SENT, strict=True, last_error="", **fields)
        self.result.count_sent(row.kind)

    def counted_sent(self, row: OutboxAction) -> None:
        """A performer marked `row` sent itself (in its own statements)."""
        self.held.discard(row.pk)
        self.result.count_sent(row.kind)

    def cancel(self, row: OutboxAction, reason: str) -> None:
        self.release_steps(row)
        self.finish(row, ActionStatus.CANCELLED, reason=reason)
        self.result.cancelled += 1

    def pass_over(self, row: OutboxAction) -> None:
        """Hand a claimed row back untouched, to be claimed by a later run (it waits for an
        earlier row): the attempt it was charged is given back."""
        self.finish(row, ActionStatus.QUEUED, attempts=F("attempts") - 1)

    def failed(self, row: OutboxAction, exc: TransportError) -> bool:
        """Back to the queue with backoff, or (permanent, or out of attempts) failed and
        alerted. Returns True when it gave up."""
        with transaction.atomic():
            self.release_steps(row)
            if exc.permanent or row.attempts >= MAX_ATTEMPTS:
                self.finish(row, ActionStatus.FAILED, last_error=exc.message)
                self.result.failed += 1
                self.result.problems.append(f"{row.key}: {exc.message}")
                if row.kind not in QUIET:
                    self.alert(row, exc.message)
                gave_up = True
            else:
                self.finish(
                    row,
                    ActionStatus.QUEUED,
                    last_error=exc.message,
                    next_attempt_at=timezone.now() + retry_delay(row.attempts),
                )
                self.result.retrying += 1
                self.result.problems.append(f"{row.key}: {exc.message} (will retry)")
                gave_up = False
        return gave_up

    def crashed(self, row: OutboxAction, exc: Exception) -> None:
        """A bug or bad data: push the row back (give up after a few tries), record why, carry
        on with the others."""
        log.exception("action %s raised", row.key, exc_info=exc)
        self.failed(
            row, TransportError(f"{type(exc).__name__}: {exc}", permanent=row.attempts >= 3)
        )

    def lost(self, row: OutboxAction) -> None:
        """Another worker took the row over while this one was slow: it is theirs now."""
        self.held.discard(row.pk)
        problem = f"{row.key}: lost its claim (lease of {settings.LEASE_SECONDS} s ran out)"
        log.error(problem)
        self.result.problems.append(problem)
        self.alert(row, "another worker took it over after this worker's lease ran out")

    def release_steps(self, row: OutboxAction, invoice_pks=None) -> None:
        """Let go of the steps held in flight for `row` (all, or those of some invoices)."""
        mine = StepRecord.objects.filter(action=row, state=StepState.IN_FLIGHT)
        if invoice_pks is not None:
            mine = mine.filter(invoice_id__in=invoice_pks)
        mine.delete()

    def finish(self, row: OutboxAction, status: str, *, strict: bool = False, **fields) -> None:
        fields.update(status=status, claimed_by="")
        changed = OutboxAction.objects.filter(
            pk=row.pk, claimed_by=self.me, status=ActionStatus.SENDING
        ).update(**fields)
        self.held.discard(row.pk)
        if strict and changed != 1:
            raise LostClaim(row.key)

    def alert(self, row: OutboxAction, why: str) -> None:
        """One alert a day for the team, listing every row that could not be done: a mail
        server that refuses everything must not turn into a thousand alerts."""
        from arrears.ledger.people import people_of

        if row.client_id is None:  # the digest: the run's output and its record say it
            log.error("%s: %s", row.key, why)
            return
        line = f"{row.key} ({row.client.name}): {why}"
        alert, created = OutboxAction.objects.get_or_create(
            organisation=self.org,
            key=f"send-failed/{self.on}",
            defaults={
                "client": row.client,
                "step": "send-failed",
                "kind": "internal",
                "level": "client",
                "template": "send-failed",
                "policy": row.policy,
                "scheduled_for": self.on,
                "to": list(people_of(self.org).accounting),
                "reason": row.key,
                "last_error": line,
            },
        )
        if not created and alert.status == ActionStatus.QUEUED:
            OutboxAction.objects.filter(pk=alert.pk, status=ActionStatus.QUEUED).update(
                last_error=alert.last_error + "\n" + line
            )


class Performer:
    """Does the side effect of one kind of outbox row through a channel, and records it
    (`loop.go(row)` right before the side effect, `loop.done(row)` in the transaction that
    records the outcome). Raises TransportError for a failure; the loop retries or gives up (a
    performer that records the failure beside it calls `loop.failed` itself)."""

    def __init__(self, loop: Loop):
        self.loop = loop

    def load(self, rows: list[OutboxAction]) -> None:
        """Read what a batch of claimed rows needs, in a few queries (optional)."""

    def perform(self, row: OutboxAction) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """After each batch (optional)."""

    def close(self) -> None:
        """Release connections at the end of the run (optional)."""


def next_window(row: OutboxAction, policy: Policy | None, now: datetime):
    """The first send window of a client business day that has not closed by `now`."""
    client = row.client
    tz = client.timezone if client else "UTC"
    calendar = calendar_for(client.country if client else "GB")
    day = now.astimezone(ZoneInfo(tz)).date()
    for _ in range(60):
        if calendar.is_business_day(day):
            start, end = window_bounds(day, tz, policy)
            if end > now:
                return start, end
        day += timedelta(days=1)
    return window_bounds(day, tz, policy)
