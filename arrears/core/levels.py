"""Service levels: normal -> maintenance -> stopped -> suspended. Pure rules (no Django).

- A lever step raises the client's level to the level it `brings` (the policy says which: in
  the default ladder `maintenance` brings maintenance, `work-stoppage` stopped, `suspension`
  suspended) and never lowers it: a late maintenance notice for a client already stopped
  changes nothing.
- A change of level fires hook events. Going up, each level passed is entered, in order
  (`enter:maintenance`, `enter:stopped`); going down, each level left is restored, in reverse
  order (`restore:suspended`, `restore:stopped`, `restore:maintenance`), so that a restore
  undoes what the escalation did, last thing first.
- A client is restored when every invoice that triggered its current episode is paid (or is
  otherwise no longer open: credited, written off).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Level(StrEnum):
    NORMAL = "normal"
    MAINTENANCE = "maintenance"
    STOPPED = "stopped"
    SUSPENDED = "suspended"

    @property
    def rank(self) -> int:
        return ORDER.index(self)


ORDER = (Level.NORMAL, Level.MAINTENANCE, Level.STOPPED, Level.SUSPENDED)

# Levels at which new time entries for the client are refused (unless overridden).
NO_NEW_WORK = frozenset({Level.STOPPED, Level.SUSPENDED})

EVENTS = tuple(f"{verb}:{level}" for verb in ("enter", "restore") for level in ORDER[1:])

# What bringing a client to a level does, in the words of an approval request.
EFFECT = {
    Level.MAINTENANCE: "maintenance mode: non-essential work stops",
    Level.STOPPED: "work stops: the team stands down and new time entries are refused",
    Level.SUSPENDED: "environments are suspended: the suspension hooks run and escrowed "
    "credentials are withheld",
}


def describe_lever(
    step: str,
    client_name: str,
    client_id: str,
    gate: str | None,
    contracts: Iterable[str],
    brings: Level | None = None,
) -> str:
    """What an approval of lever step `step` (bringing the client to `brings`) lets happen, to
    whom, under which clause: the words of the approval request."""
    effect = EFFECT.get(brings, step) if brings else step
    target = brings
    moves = f"{client_name} ({client_id}) moves to {target}" if target else client_name
    contracts = list(contracts)
    clause = ""
    if gate:
        clause = f" under the {gate.replace('_', ' ')}"
        if contracts:
            clause += f" of contract {', '.join(contracts)}"
    return f"{moves} — {effect}{clause}; the hooks of that level run"


def after_step(current: Level, brings: Level | None) -> Level:
    """The level after a lever step that `brings` a level was performed: up to that level,
    never down."""
    if brings is None or brings.rank <= current.rank:
        return current
    return brings


def events(before: Level, after: Level) -> tuple[str, ...]:
    """The hook events of a change of level, in the order they run."""
    if after.rank > before.rank:
        return tuple(f"enter:{lv}" for lv in ORDER[before.rank + 1 : after.rank + 1])
    if after.rank < before.rank:
        return tuple(f"restore:{lv}" for lv in reversed(ORDER[after.rank + 1 : before.rank + 1]))
    return ()


def is_restored(triggers: Iterable[int], still_open: Iterable[int]) -> bool:
    """True when none of the invoices that triggered the episode is still open. An episode
    without triggering invoices (set by hand with nothing overdue) is never restored by a
    payment: a person set it, a person lifts it."""
    triggers = set(triggers)
    return bool(triggers) and not (triggers & set(still_open))


def archived(name: str, episode: int) -> str:
    """The name a lever step's record, outbox key or approval takes when its episode ends
    (`work-stoppage/C1` -> `work-stoppage/C1#2`): kept for the trail, out of the way of the
    next episode, which must be approved again."""
    return f"{name}#{episode}"


def parse_event(text: str) -> str:
    """`enter:suspended`, or the short forms `suspend` / `restore` (of the suspended level)."""
    value = {"suspend": "enter:suspended", "restore": "restore:suspended"}.get(text, text)
    if value not in EVENTS:
        raise ValueError(f"{text!r} is not a transition (expected one of: {', '.join(EVENTS)})")
    return value


# -- the maintenance notice -------------------------------------------------------------------
DEFAULT_SERVICES = {
    "en": (
        (
            "feature work",
            "non-breaking bugs (handled at the limit of the SLA)",
            'meetings and "quick syncs"',
        ),
        ("production incidents", "security fixes"),
    ),
    "de": (
        (
            "Arbeit an neuen Funktionen",
            "nicht kritische Fehler (bearbeitet an der Grenze des SLA)",
            "Besprechungen und kurze Abstimmungen",
        ),
        ("Störungen im Produktivbetrieb", "Sicherheitskorrekturen"),
    ),
    "fr": (
        (
            "le développement de fonctionnalités",
            "les anomalies non bloquantes (traitées dans la limite du SLA)",
            "les réunions et « points rapides »",
        ),
        ("les incidents de production", "les correctifs de sécurité"),
    ),
}


def services(
    non_essential: str, essential: str, language: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(reduced, continued): the contract's lists (one service per line), else the standard
    ones in the client's language."""
    reduced_default, continued_default = DEFAULT_SERVICES.get(language, DEFAULT_SERVICES["en"])
    return (
        _lines(non_essential) or reduced_default,
        _lines(essential) or continued_default,
    )


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())
