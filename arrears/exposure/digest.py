"""The daily digest for leadership: what changed since the last digest, and what needs a
decision. Queued once per organisation per day (`digest/<date>` by email to leadership,
`digest/<date>/chat` to the chat webhook), with its content fixed when it is queued so that a
retry sends the same words.

"Since the last digest" is exact: each digest stores the highest row ids it covered (messages,
payments, disputes, outbox actions, level changes) and the next one lists what came after
them. The first digest covers the seven days ending on its date.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps
from django.db import transaction
from django.db.models import Max, Q

from arrears.core.escalation import recipients
from arrears.core.money import format_money
from arrears.core.policy import StepKind
from arrears.dunning.models import Approval, Dispute, Message, OutboxAction, Promise, PromiseStatus
from arrears.env import env_str
from arrears.ledger.models import Organisation, Payment
from arrears.ledger.people import people_of

from .models import ApprovalWait, DigestSettings

FIRST_WINDOW = 7  # days the first digest looks back
MAX_LINES = 15  # per section; the rest is counted
STEP, TEMPLATE = "digest", "digest"


def webhook_url(org: Organisation) -> str:
    found = DigestSettings.objects.for_org(org).values_list("webhook_url", flat=True).first()
    return found or env_str("ARREARS_DIGEST_WEBHOOK_URL", "")


def wants_email(org: Organisation) -> bool:
    found = DigestSettings.objects.for_org(org).values_list("email", flat=True).first()
    return bool(found)


def _key(on: date) -> str:
    return f"digest/{on.isoformat()}"  # the chat copy's: `<key>/chat`


def _queued(org: Organisation, on: date) -> bool:
    key = _key(on)
    return OutboxAction.objects.for_org(org).filter(key__in=(key, f"{key}/chat")).exists()


def note(org: Organisation, on: date) -> str | None:
    """What `arrears plan` says of the day's digest: where it will go, or that it went."""
    email, url = wants_email(org), webhook_url(org)
    if not (email or url):
        return None
    if _queued(org, on):
        return f"The daily digest for {on} is queued or sent."
    where = []
    if email:
        where.append(
            "leadership by email (" + ", ".join(recipients(("leadership",), people_of(org))) + ")"
        )
    if url:
        where.append("the chat webhook")
    return f"After the run, the daily digest ({_key(on)}) goes to {' and '.join(where)}."


def queue(org: Organisation, on: date) -> int:
    """Queue the day's digest (email and chat) unless it is queued already. Returns how many
    rows were queued."""
    key = _key(on)
    email, url = wants_email(org), webhook_url(org)
    if not (email or url):
        return 0  # the digest is opt-in: `arrears escalation --digest-email` or `--webhook`
    if _queued(org, on):
        return 0
    content = build(org, on)
    text = as_text(org, content)
    rows = []
    base = {
        "organisation": org,
        "client": None,
        "step": STEP,
        "level": "org",
        "template": TEMPLATE,
        "policy": "default",
        "scheduled_for": on,
        "reason": f"daily digest for {on}",
    }
    if email:
        to = recipients(("leadership",), people_of(org))
        rows.append(OutboxAction(key=key, kind="escalation", to=list(to), data=content, **base))
    if url:
        rows.append(
            OutboxAction(
                key=f"{key}/chat",
                kind="escalation-chat",
                data={**content, "url": url, "text": text},
                **base,
            )
        )
    with transaction.atomic():
        OutboxAction.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _marks(org) -> dict[str, int]:
    marks = {
        "message": Message.objects.for_org(org).aggregate(m=Max("pk"))["m"] or 0,
        "payment": Payment.objects.for_org(org).aggregate(m=Max("pk"))["m"] or 0,
        "dispute": Dispute.objects.for_org(org).aggregate(m=Max("pk"))["m"] or 0,
        "action": OutboxAction.objects.for_org(org).aggregate(m=Max("pk"))["m"] or 0,
    }
    changes = _level_changes()
    if changes is not None:
        marks["level"] = changes.objects.filter(organisation=org).aggregate(m=Max("pk"))["m"] or 0
    return marks


def _level_changes():
    """The service levels' history, when that app is installed."""
    if not apps.is_installed("arrears.levers"):
        return None
    try:
        return apps.get_model("levers", "LevelChange")
    except LookupError:
        return None


def build(org: Organisation, on: date) -> dict:
    """The digest's content as JSON values: the period, what changed, what needs a decision."""
    previous = (
        OutboxAction.objects.for_org(org)
        .filter(step=STEP, scheduled_for__lt=on)
        .order_by("-scheduled_for", "-pk")
        .first()
    )
    since = previous.scheduled_for if previous else on - timedelta(days=FIRST_WINDOW)
    after = (previous.data or {}).get("marks", {}) if previous else None

    def new(qs, mark, day_field):
        if after is not None:
            return qs.filter(pk__gt=after.get(mark, 0))
        return qs.filter(**{f"{day_field}__gt": since, f"{day_field}__lte": on})

    changed: list[str] = []
    sent = new(
        Message.objects.for_org(org).filter(kind__in=("email", "letter", "lever")),
        "message",
        "action__scheduled_for",
    )
    steps = Counter(sent.values_list("step", flat=True))
    if steps:
        detail = ", ".join(f"{s}: {n}" for s, n in sorted(steps.items()))
        changed.append(f"{sum(steps.values())} message(s) sent to clients ({detail})")
    pays = list(
        new(Payment.objects.for_org(org), "payment", "date")
        .select_related("client")
        .order_by("date", "pk")
    )
    if pays:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for p in pays:
            sums[p.currency] += p.amount
        money = "; ".join(format_money(v, c) for c, v in sorted(sums.items()))
        changed.append(f"{len(pays)} payment(s) received: {money}")
        changed += [
            f"  {p.client.external_id} {p.client.name}: {format_money(p.amount, p.currency)} on {p.date}"
            for p in pays[:MAX_LINES]
        ]
    broken = Promise.objects.for_org(org).filter(
        status=PromiseStatus.BROKEN, closed_on__gt=since, closed_on__lte=on
    )
    for p in broken.select_related("invoice__client")[:MAX_LINES]:
        changed.append(
            f"promise broken: {p.invoice.number} ({p.invoice.client.external_id}), "
            f"promised for {p.until}"
        )
    for d in new(Dispute.objects.for_org(org), "dispute", "opened_on").select_related(
        "invoice__client"
    )[:MAX_LINES]:
        changed.append(
            f"dispute opened: {d.invoice.number} ({d.invoice.client.external_id}), {d.reason}"
        )
    changes = _level_changes()
    if changes is not None:
        rows = new(changes.objects.filter(organisation=org), "level", "on").select_related("client")
        for c in rows[:MAX_LINES]:
            changed.append(
                f"service level of {c.client.external_id} {c.client.name}: "
                f"{c.from_level} -> {c.to_level}"
            )
    decide: list[str] = []
    decided = set(Approval.objects.for_org(org).values_list("key", flat=True))
    for w in ApprovalWait.objects.for_org(org).order_by("since", "key")[:MAX_LINES]:
        if w.key not in decided:
            decide.append(f"approve or reject {w.key} (waiting since {w.since})")
    recs = new(
        # the stand-down of the escalation work, and the policy's recommendation steps
        OutboxAction.objects.for_org(org).filter(
            Q(step="stand-down") | Q(kind=StepKind.RECOMMENDATION.value)
        ),
        "action",
        "scheduled_for",
    )
    for r in recs.select_related("client")[:MAX_LINES]:
        decide.append(
            f"{r.step} recommended for {r.client.external_id} {r.client.name}: {r.reason}"
        )
    return {
        "digest_date": on.isoformat(),
        "since": since.isoformat(),
        "changed": changed,
        "decide": decide,
        "marks": _marks(org),
    }


def as_text(org: Organisation, content: dict) -> str:
    """The digest as chat text (Slack mrkdwn: *bold*, bullet lines)."""
    lines = [f"*{org.name}: daily digest for {content['digest_date']}*"]
    lines.append(f"What changed since {content['since']}:")
    lines += [f"• {c}" for c in content["changed"]] or ["• nothing"]
    lines.append("Needs a decision:")
    lines += [f"• {d}" for d in content["decide"]] or ["• nothing"]
    return "\n".join(lines)
