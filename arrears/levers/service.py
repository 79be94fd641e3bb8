"""Changing a client's service level: record it, queue its hooks (and, back to normal, the
messages), once. Called by the engine's `step_performed` (a lever step went out), the
ledger's `settled` (a payment) and `arrears level --set` (a person).

Everything here runs inside the caller's transaction and only writes rows: the hooks and
messages are outbox actions, performed by the runners in arrears.levers.runner.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.apps import apps
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from arrears.core.levels import Level, archived, events, is_restored
from arrears.core.planner import make_key
from arrears.core.policy import Policy, StepKind
from arrears.dunning.models import Approval, OutboxAction, StepRecord
from arrears.ledger.models import (
    OPEN_STATUSES,
    Client,
    ContactRoleAssignment,
    Invoice,
    Organisation,
)

from .models import Hook, LevelChange, ServiceLevel


def current(client: Client) -> ServiceLevel:
    found, _ = ServiceLevel.objects.get_or_create(
        client=client, defaults={"organisation_id": client.organisation_id}
    )
    return found


def _locked(client: Client) -> ServiceLevel:
    current(client)
    qs = ServiceLevel.objects.filter(client=client)
    if transaction.get_connection().features.has_select_for_update:
        qs = qs.select_for_update()
    return qs.get()


def change(
    org: Organisation,
    client: Client,
    to: Level,
    *,
    reason: str,
    on: date,
    by_person=None,
    by_step: str = "",
    triggers: Iterable[int] = (),
) -> LevelChange | None:
    """Move `client` to `to` (None when it is there already: the triggers are still added).
    Leaving `normal` starts a new episode; coming back to it ends the episode once none of its
    triggering invoices is open."""
    with transaction.atomic():
        sl = _locked(client)
        before = Level(sl.level)
        triggers = list(triggers)
        if triggers:
            sl.triggers.add(*triggers)
        if to == before:
            return None
        if before == Level.NORMAL:
            sl.episode += 1
        made = LevelChange.objects.create(
            organisation=org,
            client=client,
            episode=sl.episode,
            from_level=before,
            to_level=to,
            reason=reason,
            by_person=by_person,
            by_step=by_step,
            on=on,
        )
        sl.level, sl.since = to, timezone.now()
        sl.save(update_fields=["level", "since", "episode"])
        queue_hooks(org, client, sl.episode, before, to, reason, on)
        if to == Level.NORMAL:
            from .notices import queue_restored

            queue_restored(org, client, sl, before, reason, on)
            if not _open_triggers(sl):
                end_episode(org, client, sl)
        return made


def brought_by(
    org: Organisation, client: Client, step: str, policy: Policy | None = None, name: str = ""
) -> Level | None:
    """The level lever step `step` brings `client` to, as its policy says (`brings`): `policy`
    if given, else the policy called `name`, else the client's, else any of the
    organisation's that has the step."""
    if policy is not None and step in policy.ranks:
        return policy.step(step).brings
    from arrears.dunning.policy_store import load_policies

    policies = load_policies(org)
    for found in (policies.get(name), policies.get(client.policy or "default"), *policies.values()):
        if found is not None and step in found.ranks:
            return found.step(step).brings
    return None


def lever_steps(org: Organisation, client: Client) -> set[str]:
    """The ids of the lever steps of the organisation's policies, and of those the client went
    through (a policy may have renamed one since)."""
    from arrears.dunning.policy_store import load_policies

    ids = {s.id for p in load_policies(org).values() for s in p.lever_steps}
    done = OutboxAction.objects.for_org(org).filter(client=client, kind=StepKind.LEVER.value)
    return ids | set(done.values_list("step", flat=True).distinct())


def after_lever_step(
    org: Organisation, action: OutboxAction, invoices, on: date, policy: Policy | None = None
) -> None:
    """A lever step went out to the client: the level follows it (never down)."""
    target = brought_by(org, action.client, action.step, policy, action.policy)
    if target is None:
        return
    client = action.client
    before = Level(current(client).level)
    to = target if target.rank > before.rank else before
    numbers = ", ".join(i.number for i in invoices)
    change(
        org,
        client,
        to,
        reason=f"{action.step} for {numbers}",
        on=on,
        by_step=action.key,
        triggers=[i.pk for i in invoices],
    )


def after_plan_miss(org: Organisation, action: OutboxAction, invoices, on: date) -> None:
    """A payment plan whose written terms say a missed instalment stops work was missed (its
    alert went out): the team stands down — the plan, accepted by the client, is the basis;
    leadership is told by the alert. Its invoices are the triggers: paying them, or paying
    toward the plan again, restores the client."""
    client = action.client
    if Level(current(client).level).rank >= Level.STOPPED.rank:
        return
    data = action.data or {}
    change(
        org,
        client,
        Level.STOPPED,
        reason=f"payment plan {data.get('plan', '')}: instalment {data.get('instalment', '')} "
        "was missed, and the plan says work stops",
        on=on,
        by_step=action.key,
        triggers=[i.pk for i in invoices],
    )


def after_payment(org: Organisation, invoices: list[Invoice]) -> None:
    """Some invoices were settled: restore each of their clients whose triggering invoices are
    all paid (or otherwise closed)."""
    from arrears.ledger.reports import org_today

    touched = {i.pk for i in invoices}
    # the triggering invoices are few; a payment import touches thousands at a time
    triggers = ServiceLevel.triggers.through.objects.filter(
        servicelevel__organisation=org
    ).values_list("servicelevel_id", "invoice_id")
    levels = ServiceLevel.objects.filter(
        pk__in={sl for sl, inv in triggers if inv in touched}
    ).order_by("pk")
    for sl in levels.select_related("client"):
        triggers = list(sl.triggers.values_list("pk", flat=True))
        still_open = set(_open_triggers(sl))
        if sl.level != Level.NORMAL:  # an accepted plan whose first instalment came in
            still_open -= on_started_plan(org, still_open)
        if not is_restored(triggers, still_open):
            continue
        if sl.level == Level.NORMAL:  # set back by hand earlier: the episode ends now
            end_episode(org, sl.client, sl)
            continue
        if still_open != set(_open_triggers(sl)):
            planned = ", ".join(
                Invoice.objects.filter(pk__in=_open_triggers(sl))
                .order_by("number")
                .values_list("number", flat=True)
            )
            reason = f"payment plan accepted and its first instalment paid: {planned}"
            change(org, sl.client, Level.NORMAL, reason=reason, on=org_today(org))
            continue
        numbers = ", ".join(
            Invoice.objects.filter(pk__in=triggers)
            .order_by("number")
            .values_list("number", flat=True)
        )
        change(org, sl.client, Level.NORMAL, reason=f"paid: {numbers}", on=org_today(org))


def on_started_plan(org: Organisation, invoice_pks: set[int]) -> set[int]:
    """Invoices covered by an active payment plan whose first instalment is paid: for the
    level they count as paid (the plan's receiver has counted the payment already: its app
    comes first in INSTALLED_APPS, so its `settled` receiver runs first)."""
    if not invoice_pks or not apps.is_installed("arrears.plans"):
        return set()
    plan_model = apps.get_model("plans", "PaymentPlan")
    started = plan_model.objects.for_org(org).filter(
        status="active", instalments__number=1, instalments__paid__gte=F("instalments__amount")
    )
    return set(
        plan_model.invoices.through.objects.filter(
            paymentplan__in=started, invoice_id__in=invoice_pks
        ).values_list("invoice_id", flat=True)
    )


def _open_triggers(sl: ServiceLevel) -> list[int]:
    return list(sl.triggers.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True))


def end_episode(org: Organisation, client: Client, sl: ServiceLevel) -> None:
    """The episode is over: its lever steps, their outbox rows and approvals are renamed to
    the episode (`work-stoppage/C1#2`), so the ladder can take this client through them again
    for other invoices, and a new episode needs new approvals. The rows stay, for the trail."""
    n = sl.episode
    for step in sorted(lever_steps(org, client)):
        StepRecord.objects.for_org(org).filter(
            client=client, invoice__isnull=True, step=step
        ).update(step=archived(step, n))
        key = make_key(step, client.external_id)
        OutboxAction.objects.for_org(org).filter(key=key).update(key=archived(key, n))
        Approval.objects.for_org(org).filter(key=key).update(key=archived(key, n))
    sl.triggers.clear()


def queue_hooks(
    org: Organisation,
    client: Client,
    episode: int,
    before: Level,
    after: Level,
    reason: str,
    on: date,
) -> list[OutboxAction]:
    """One outbox action per hook and event, in the order they must run (ids ascending): each
    event's organisation-wide hooks, then the client's own."""
    rows = []
    for event in events(before, after):
        for hook in hooks_for(org, client, event):
            rows.append(
                OutboxAction(
                    organisation=org,
                    key=f"hook/{hook.pk}/{client.external_id}/{event}/{episode}",
                    client=client,
                    step=event,
                    kind="hook",
                    level="client",
                    template="",
                    policy="",
                    scheduled_for=on,
                    reason=reason[:2000],
                    data={
                        "hook": hook.pk,
                        "event": event,
                        "from": str(before),
                        "to": str(after),
                        "episode": episode,
                    },
                )
            )
    for row in rows:  # one by one: the ids keep the order
        OutboxAction.objects.bulk_create([row], ignore_conflicts=True)
    return rows


def hooks_for(org: Organisation, client: Client, event: str) -> list[Hook]:
    found = Hook.objects.for_org(org).filter(
        Q(client__isnull=True) | Q(client=client), enabled=True
    )
    return sorted(
        (h for h in found if event in h.events), key=lambda h: (h.client_id is not None, h.pk)
    )


def client_contacts(client: Client, roles: tuple[str, ...]) -> list[str]:
    rows = ContactRoleAssignment.objects.filter(contact__client=client, role__in=roles)
    out: list[str] = []
    for role in roles:
        for email, r in rows.values_list("contact__email", "role").order_by("contact__email"):
            if r == role and email not in out:
                out.append(email)
    return out


def what_will_run(org: Organisation, client: Client, step: str) -> list[str]:
    """For an approval of a lever step: the level it brings and each hook that will run."""
    target = brought_by(org, client, step)
    if target is None:
        return []
    before = Level(current(client).level)
    if target.rank <= before.rank:
        return [f"{client.external_id} is {before} already: no hook runs"]
    lines = [f"when it is performed, {client.external_id} goes {before} → {target}"]
    for event in events(before, target):
        for hook in hooks_for(org, client, event):
            lines.append(f"hook {hook.name} ({hook.kind}) runs on {event}")
    return lines
