from .escrow import Escrow
from .hook import Hook, HookRun, RunOutcome
from .level import LEVEL_CHOICES, LevelChange, ServiceLevel, TimeOverride

__all__ = [
    "LEVEL_CHOICES",
    "Escrow",
    "Hook",
    "HookRun",
    "LevelChange",
    "RunOutcome",
    "ServiceLevel",
    "TimeOverride",
]
