"""A client's service levels in its timeline: each change of level and each hook that ran or
failed (registered with the engine's timeline: `extensions.add_timeline`)."""

from __future__ import annotations

from arrears.dunning.timeline import Event

from .models import HookRun, LevelChange, RunOutcome, TimeOverride


def events(client) -> list[Event]:
    out = [
        Event(c.at, "level", f"{c.from_level} → {c.to_level} by {c.by}: {c.reason}")
        for c in LevelChange.objects.filter(client=client).select_related("by_person")
    ]
    runs = HookRun.objects.filter(action__client=client).exclude(outcome=RunOutcome.RUNNING)
    for r in runs:
        status = r.exit_status if r.exit_status is not None else r.http_status
        shown = "" if status is None else f" ({status})"
        out.append(Event(r.finished_at or r.started_at, f"hook-{r.outcome}", f"{r.key}{shown}"))
    for o in TimeOverride.objects.filter(client=client):
        out.append(
            Event(o.at, "time-override", f"{o.entries} time entries while {o.level}: {o.reason}")
        )
    return out
