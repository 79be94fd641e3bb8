"""The daily job inside `arrears serve`: a thread that, once a minute, runs each organisation's
plan-and-apply when its hour has come (once a day, however many servers run it; a run that
crashed is taken over, engine.start_run) and otherwise sends what is queued and ready (retries,
send windows that opened)."""

from __future__ import annotations

import logging
import threading
from zoneinfo import ZoneInfo

from django.db import close_old_connections
from django.utils import timezone

from arrears.dunning.engine import deliver_due, run_day
from arrears.dunning.models import Run
from arrears.ledger.models import Organisation

log = logging.getLogger("arrears.scheduler")


def tick() -> list[str]:
    """One pass over every organisation; returns what it did, for logs and tests."""
    done = []
    for org in Organisation.objects.order_by("pk"):
        local = timezone.now().astimezone(ZoneInfo(org.timezone))
        today = local.date()
        try:
            if (
                local.hour >= org.daily_run_hour
                and not Run.objects.filter(
                    organisation=org, on=today, daily=True, finished_at__isnull=False
                ).exists()
            ):
                report = run_day(org, today, daily=True)
                if report is not None:
                    d = report.delivery
                    done.append(
                        f"{org.slug}: daily run {today}: {report.queued} queued, {d.sent} sent, {d.failed} failed"
                    )
            else:
                d = deliver_due(org, today)
                if d.sent or d.failed or d.retrying:
                    done.append(
                        f"{org.slug}: {d.sent} sent, {d.retrying} to retry, {d.failed} failed"
                    )
        except Exception:  # noqa: BLE001 - one organisation's trouble must not stop the others
            log.exception("scheduled job failed for %s", org.slug)
            done.append(f"{org.slug}: failed (see the log)")
    return done


class Scheduler(threading.Thread):
    def __init__(self, interval: float = 60.0):
        super().__init__(name="arrears-scheduler", daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                for line in tick():
                    log.warning(line)
            finally:
                close_old_connections()
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
