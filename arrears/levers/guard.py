"""The time-entry guard: no new hours are logged for a client whose work is stopped or whose
environments are suspended, unless someone says why (a production incident) — then it is
recorded and the team is told."""

from __future__ import annotations

from arrears.core.levels import NO_NEW_WORK
from arrears.ledger.models import Client

from .models import ServiceLevel, TimeOverride


class LevelGuard:
    def refused(self, org, client_pks: set[int]) -> dict[int, str]:
        rows = ServiceLevel.objects.for_org(org).filter(
            client_id__in=client_pks, level__in=[str(lv) for lv in NO_NEW_WORK]
        )
        return {
            pk: f"client {ext} is {level}: new time entries are refused"
            for pk, ext, level in rows.values_list("client_id", "client__external_id", "level")
        }

    def overridden(self, org, counts: dict[int, int], reason: str, source: str) -> None:
        from arrears.ledger.reports import org_today

        from .notices import queue_time_override

        levels = dict(
            ServiceLevel.objects.for_org(org)
            .filter(client_id__in=counts)
            .values_list("client_id", "level")
        )
        for client in Client.objects.for_org(org).filter(pk__in=counts):
            override = TimeOverride.objects.create(
                organisation=org,
                client=client,
                level=levels.get(client.pk, "normal"),
                reason=reason,
                entries=counts[client.pk],
                source=source[:500],
            )
            queue_time_override(org, client, override, org_today(org))
