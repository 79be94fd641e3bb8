from .escrow import Escrow
from .hook import Hook, HookKind, HookRun, RunOutcome
from .level import LEVEL_CHOICES, LevelChange, ServiceLevel, TimeOverride

__all__ = [
    "LEVEL_CHOICES",
    "Escrow",
    "Hook",
    "HookKind",
    "HookRun",
    "LevelChange",
    "RunOutcome",
    "ServiceLevel",
    "TimeOverride",
]
