"""What each kind of outbox row is and which channel performs it: the choices of
`OutboxAction.kind` come from here (a plain table, so that the models import no transport).

Adding a kind of side effect is adding a channel folder (with its transport class, registered in
`channels/__init__.py`), a line here, and a performer for the kind (`extensions.add_performer`).
"""

from __future__ import annotations

from typing import NamedTuple

from arrears.core.policy import StepKind


class OutboxKind(NamedTuple):
    channels: tuple[str, ...]  # the channel kinds (CHANNELS) that can perform it
    label: str


# the channels a change of service level can run as a hook: the choices of `Hook.kind`
HOOK_KINDS: dict[str, str] = {
    "webhook": "Signed webhook",
    "command": "Command",
    "escrow": "Credential escrow",
}

OUTBOX_KINDS: dict[str, OutboxKind] = {
    StepKind.EMAIL: OutboxKind(("email",), "Email to the client (a step of the ladder)"),
    StepKind.LETTER: OutboxKind(("letter",), "Letter to the client (PDF, by email)"),
    StepKind.LEVER: OutboxKind(("email",), "Notice of a service-level step to the client"),
    StepKind.INTERNAL: OutboxKind(("email",), "Internal alert to the team"),
    StepKind.RECOMMENDATION: OutboxKind(("email",), "Recommendation to the team"),
    "level-notice": OutboxKind(("email",), "Notice of a change of service level"),
    "escalation": OutboxKind(("email",), "Exposure alert or digest by email"),
    "escalation-chat": OutboxKind(("chat",), "Daily digest to a chat channel"),
    "hook": OutboxKind(tuple(HOOK_KINDS), "Hook of a change of service level"),
}

KIND_CHOICES = [(str(kind), spec.label) for kind, spec in OUTBOX_KINDS.items()]
HOOK_CHOICES = list(HOOK_KINDS.items())
