"""Hook kinds: one module and one class per kind, registered here. The choices of the CLI and
the model are derived from `HOOKS`; adding a kind is adding a module and a line."""

from .base import Call, HookError, HookKind, Outcome
from .command import CommandHook
from .escrow import EscrowHook
from .webhook import WebhookHook

HOOKS: dict[str, HookKind] = {k.kind: k for k in (WebhookHook(), CommandHook(), EscrowHook())}

__all__ = ["HOOKS", "Call", "HookError", "HookKind", "Outcome"]
