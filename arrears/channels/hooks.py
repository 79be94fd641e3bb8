"""What the hook channels (webhook/, command/, escrow/) share: the call each is given, what it
reports, the settings checks.

A hook channel is a class with `kind`, `check(raw) -> (settings, problems)` (the settings it
keeps, cleaned, or every problem with them) and `run(settings, call) -> Outcome`. It raises the
channels' one error, `TransportError(message, permanent=..., outcome=Outcome(...))`, when the
hook did not do its job: temporary failures are retried with backoff by the outbox loop,
permanent ones are marked failed and alerted at once.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class Call:
    """One run of one hook for one client's change of level."""

    key: str  # the outbox key: the same on every retry, so the other side can drop repeats
    hook: str
    event: str  # enter:<level> | restore:<level>
    level_from: str
    level_to: str
    episode: int
    organisation: str
    client_pk: int
    client_id: str
    client_name: str
    reason: str
    sealed: str = ""  # for an escrow hook: the client's escrowed secret, still sealed
    # called now and then while a long hook runs: the worker keeps its claim on the row
    keepalive: Callable[[], None] | None = field(default=None, compare=False, repr=False)

    @property
    def text(self) -> str:
        """One line for people (and Slack's `text`)."""
        verb, _, level = self.event.partition(":")
        what = f"entered {level}" if verb == "enter" else f"restored from {level}"
        return (
            f"{self.client_name} ({self.client_id}) {what}: "
            f"{self.level_from} -> {self.level_to}. {self.reason}".strip()
        )

    def environment(self) -> dict[str, str]:
        """The variables a command hook gets. The child does not inherit arrears' own
        environment (database URL, secret key): only a plain PATH, HOME, LANG and these."""
        env = {k: os.environ[k] for k in ("HOME", "LANG", "TZ") if k in os.environ}
        env["PATH"] = program_path()
        env.update(
            {
                "ARREARS_HOOK_KEY": self.key,
                "ARREARS_HOOK_NAME": self.hook,
                "ARREARS_HOOK_EVENT": self.event,
                "ARREARS_LEVEL_FROM": self.level_from,
                "ARREARS_LEVEL_TO": self.level_to,
                "ARREARS_EPISODE": str(self.episode),
                "ARREARS_ORGANISATION": self.organisation,
                "ARREARS_CLIENT_ID": self.client_id,
                "ARREARS_CLIENT_NAME": self.client_name,
                "ARREARS_REASON": self.reason,
            }
        )
        return env


@dataclass
class Outcome:
    exit_status: int | None = None
    http_status: int | None = None
    output: str = ""


EVERY_CHANGE = (
    "enter:maintenance",
    "enter:stopped",
    "enter:suspended",
    "restore:suspended",
    "restore:stopped",
    "restore:maintenance",
)


class HookKind:
    kind: ClassVar[str] = ""
    default_events: ClassVar[tuple[str, ...]] = EVERY_CHANGE

    def check(self, raw: dict) -> tuple[dict, list[str]]:
        raise NotImplementedError

    def run(self, settings: dict, call: Call) -> Outcome:
        raise NotImplementedError

    def describe(self, settings: dict) -> str:
        """A line for `arrears hook list` (never a secret)."""
        raise NotImplementedError


OUTPUT_LIMIT = 4000  # characters of output kept per run
REDACTED = "[escrowed secret]"


def clip(text: str) -> str:
    """The start of `text`, short enough to keep. Blank secrets first (`blank`): a secret cut
    in two by the clip would no longer be found whole."""
    return text if len(text) <= OUTPUT_LIMIT else text[: OUTPUT_LIMIT - 15] + "\n… (cut short)"


def blank(text: str, secret: bytes) -> str:
    """`text` with the secret blanked out: as it is, without surrounding blank space, and (a
    secret of several lines) each of its lines long enough to be told from ordinary words."""
    plain = secret.decode("utf-8", "replace").strip()
    if not plain:
        return text
    forms = {plain} | {line.strip() for line in plain.splitlines() if len(line.strip()) >= 8}
    for form in sorted(forms, key=len, reverse=True):  # the whole before its parts
        text = text.replace(form, REDACTED)
    return text


def program_path() -> str:
    """The PATH a hook's program is looked up in (and runs with)."""
    return os.environ.get("PATH") or "/usr/local/bin:/usr/bin:/bin"


def missing_program(program: str) -> str | None:
    """Why `program` cannot be started here, or None if it can."""
    if shutil.which(program, path=program_path()):
        return None
    if os.sep in program:
        if not os.path.exists(program):
            return f"{program}: no such program"
        return f"{program}: not executable"
    return f"{program}: no such program on PATH ({program_path()})"


def unknown_settings(raw: dict, allowed: set[str], problems: list[str]) -> None:
    unknown = set(raw) - allowed
    if unknown:
        problems.append(f"unknown settings: {', '.join(sorted(unknown))}")


def positive_int(raw: dict, name: str, default: int, top: int, problems: list[str]) -> int:
    value = raw.get(name, default)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
        problems.append(f"{name}: {value!r} is not a whole number of seconds from 1 to {top}")
        return default
    return value


def argv_of(raw: dict, name: str, problems: list[str], *, required: bool = True) -> list[str]:
    value = raw.get(name)
    if value in (None, "", []):
        if required:
            problems.append(f"{name}: a command is required")
        return []
    if not isinstance(value, list) or not all(isinstance(a, str) and a for a in value):
        problems.append(f"{name}: expected a list of words (program and arguments)")
        return []
    # refused when added rather than failing on the day a client's level changes
    why = missing_program(value[0])
    if why:
        problems.append(f"{name}: {why}")
    return value
