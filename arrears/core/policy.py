"""A dunning policy is data: the ladder's steps and a few settings, read from YAML and checked
with every problem reported together."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

import yaml

from arrears.core.calendar import BusinessCalendar
from arrears.core.levels import Level
from arrears.core.problems import Problem


class StepKind(StrEnum):
    EMAIL = "email"
    INTERNAL = "internal"
    LEVER = "lever"
    LETTER = "letter"
    RECOMMENDATION = "recommendation"


class StepLevel(StrEnum):
    INVOICE = "invoice"  # a step of each invoice
    CLIENT = "client"  # a step of the whole client (levers)


class Clause(StrEnum):
    """A contract's clauses that gate steps (the `Contract` fields of the same names)."""

    SERVICE_MODIFICATION = "service_modification_clause"
    STOP_WORK = "stop_work_clause"
    SUSPENSION_RIGHTS = "suspension_rights_clause"


KINDS = tuple(StepKind)
# what the client reads (these catch up), what reaches the client, what stays with us
MESSAGE_KINDS = frozenset({StepKind.EMAIL, StepKind.LETTER})
CLIENT_FACING = frozenset({StepKind.EMAIL, StepKind.LETTER, StepKind.LEVER})
INTERNAL_KINDS = frozenset({StepKind.INTERNAL, StepKind.RECOMMENDATION})
LEVELS = tuple(StepLevel)
CONTACT_ROLES = ("billing", "accounting", "general", "technical", "approver", "leadership")
INTERNAL_ROLES = ("sales_owner", "delivery_lead", "leadership", "accounting")
CLAUSES = tuple(Clause)
BRINGS = tuple(level for level in Level if level != Level.NORMAL)
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")

# What the steps of the packaged ladder do, for policies saved before steps said it themselves
# (`brings`, `charges`, `pay_within_days` came in 2026-12): a step of one of these ids that sets
# none of the three keys does what its namesake in default.yaml does (where its kind allows:
# a lever brings a level, a message charges). The one place the code knows step ids; a step
# that sets any of the keys is read as written.
BEFORE_THE_KEYS = {
    "late-notice": {"charges": True},
    "maintenance": {"brings": Level.MAINTENANCE.value},
    "work-stoppage": {"brings": Level.STOPPED.value},
    "suspension": {"brings": Level.SUSPENDED.value},
    "final-demand": {"charges": True, "pay_within_days": 14},
}


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    offset_days: int
    kind: StepKind
    level: StepLevel
    template: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()  # internal roles told when the step is performed
    gate: Clause | None = None
    approval: bool = False
    brings: Level | None = None  # a lever step: the service level it brings the client to
    charges: bool = False  # a message that quotes and charges late-payment interest and fees
    pay_within_days: int | None = None  # a demand: it states the claim and gives this many days

    @property
    def is_message(self) -> bool:
        return self.kind in MESSAGE_KINDS

    @property
    def client_facing(self) -> bool:
        return self.kind in CLIENT_FACING

    def date_for(self, due: date, calendar: BusinessCalendar) -> date:
        """The first business day on or after due + offset."""
        return calendar.on_or_after(due + timedelta(days=self.offset_days))


@dataclass(frozen=True)
class Policy:
    name: str
    steps: tuple[Step, ...]
    notice_days: int = 7
    promise_grace_days: int = 3
    minimum_amount: Decimal = Decimal("1.00")
    send_window: tuple[time, time] = (time(8, 0), time(18, 0))
    message_steps: tuple[Step, ...] = field(init=False, repr=False)
    lever_steps: tuple[Step, ...] = field(init=False, repr=False)
    other_steps: tuple[Step, ...] = field(init=False, repr=False)
    ranks: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ranks: dict[str, int] = {}
        for i, s in enumerate(self.steps):
            ranks.setdefault(s.id, i)
        object.__setattr__(self, "ranks", ranks)
        object.__setattr__(self, "message_steps", tuple(s for s in self.steps if s.is_message))
        levers = tuple(s for s in self.steps if s.kind == StepKind.LEVER)
        object.__setattr__(self, "lever_steps", levers)
        others = tuple(s for s in self.steps if s.kind in INTERNAL_KINDS)
        object.__setattr__(self, "other_steps", others)

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def rank(self, step_id: str) -> int:
        """Position on the ladder: a higher rank is a more advanced step."""
        return self.ranks.get(step_id, -1)


class PolicyError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the policy")
        self.problems = problems


class _LineLoader(yaml.SafeLoader):
    """Remembers the line of each mapping, so problems can name it."""


def _mapping_with_line(loader, node):
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def parse_policy(text: str, source: str, known_templates: frozenset[str] | None = None) -> Policy:
    """The policy in `text` (YAML), or PolicyError listing every problem."""
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise PolicyError([Problem(source, line, None, f"not valid YAML: {exc}")]) from None
    return policy_from_data(data, source, known_templates)


def policy_from_data(data, source: str, known_templates: frozenset[str] | None = None) -> Policy:
    problems: list[Problem] = []

    def bad(line, column, message):
        problems.append(Problem(source, line, column, message))

    if not isinstance(data, dict):
        raise PolicyError(
            [Problem(source, None, None, "expected a mapping with `name` and `steps`")]
        )
    top = data.get("__line__")
    known = {
        "__line__",
        "name",
        "steps",
        "notice_days",
        "promise_grace_days",
        "minimum_amount",
        "send_window",
    }
    for key in data:
        if key not in known:
            bad(top, key, f"unknown setting (known: {', '.join(sorted(known - {'__line__'}))})")
    name = data.get("name")
    if not isinstance(name, str) or not _ID.fullmatch(name or ""):
        bad(top, "name", "a policy needs a name of lower-case letters, digits and dashes")
    notice = _int_setting(data, "notice_days", 7, bad, top)
    grace = _int_setting(data, "promise_grace_days", 3, bad, top)
    minimum = Decimal("1.00")
    if "minimum_amount" in data:
        try:
            minimum = Decimal(str(data["minimum_amount"]))
            if minimum < 0:
                raise InvalidOperation
        except InvalidOperation:
            bad(top, "minimum_amount", f"{data['minimum_amount']!r} is not an amount")
    window = (time(8, 0), time(18, 0))
    if "send_window" in data:
        window = _window(data["send_window"], bad, top) or window
    raw_steps = data.get("steps")
    steps: list[Step] = []
    if not isinstance(raw_steps, list) or not raw_steps:
        bad(top, "steps", "a policy needs a list of steps")
        raw_steps = []
    seen: dict[str, int] = {}
    last_offset = None
    for n, raw in enumerate(raw_steps, start=1):
        step = _step(raw, n, bad, known_templates)
        if step is None:
            continue
        line = raw.get("__line__")
        if step.id in seen:
            bad(line, "id", f"duplicate step id {step.id!r} (also step {seen[step.id]})")
        seen[step.id] = n
        if last_offset is not None and step.offset_days < last_offset:
            bad(
                line,
                "offset_days",
                f"{step.offset_days} comes after {last_offset}: offsets must not go down",
            )
        last_offset = step.offset_days
        steps.append(step)
    if problems:
        raise PolicyError(problems)
    return Policy(name, tuple(steps), notice, grace, minimum, window)


def _int_setting(data, key, default, bad, line) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 365:
        bad(line, key, f"{value!r} is not a number of days (0-365)")
        return default
    return value


def _window(value, bad, line):
    m = re.fullmatch(r"(\d\d):(\d\d)-(\d\d):(\d\d)", str(value))
    if m:
        h1, m1, h2, m2 = map(int, m.groups())
        if h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60 and (h1, m1) < (h2, m2):
            return time(h1, m1), time(h2, m2)
    bad(line, "send_window", f"{value!r}: expected HH:MM-HH:MM, e.g. 08:00-18:00")
    return None


def _step(raw, n, bad, known_templates) -> Step | None:
    if not isinstance(raw, dict):
        bad(None, f"steps[{n}]", "each step is a mapping")
        return None
    line = raw.get("__line__")
    fields = {
        "__line__",
        "id",
        "offset_days",
        "kind",
        "level",
        "template",
        "to",
        "cc",
        "notify",
        "gate",
        "approval",
        "brings",
        "charges",
        "pay_within_days",
    }
    for key in raw:
        if key not in fields:
            bad(
                line, key, f"unknown step field (known: {', '.join(sorted(fields - {'__line__'}))})"
            )
    sid = raw.get("id")
    if not isinstance(sid, str) or not _ID.fullmatch(sid):
        bad(line, "id", f"{sid!r}: a step id is lower-case letters, digits and dashes")
        sid = f"step-{n}"
    offset = raw.get("offset_days")
    if not isinstance(offset, int) or isinstance(offset, bool):
        bad(line, "offset_days", f"{offset!r} is not a whole number of days")
        offset = 0
    kind = raw.get("kind")
    if kind not in KINDS:
        bad(line, "kind", f"{kind!r}: expected one of {', '.join(KINDS)}")
        kind = "email"
    level = raw.get("level", "client" if kind == "lever" else "invoice")
    if level not in LEVELS:
        bad(line, "level", f"{level!r}: expected invoice or client")
    elif kind in MESSAGE_KINDS and level != "invoice":
        bad(line, "level", f"{kind} steps are sent per invoice (level: invoice)")
    elif kind == "lever" and level != "client":
        bad(line, "level", "a lever acts on the whole client (level: client)")
    template = raw.get("template", sid)
    if not isinstance(template, str) or (
        known_templates is not None and template not in known_templates
    ):
        bad(line, "template", f"unknown template {template!r}")
    roles = INTERNAL_ROLES if kind in INTERNAL_KINDS else CONTACT_ROLES
    who = {}
    for key in ("to", "cc", "notify"):
        value = raw.get(key, [])
        if isinstance(value, str):
            value = [value]
        allowed = INTERNAL_ROLES if key == "notify" else roles
        if not isinstance(value, list):
            bad(line, key, "expected a list of roles")
            value = []
        for role in value:
            if role not in allowed:
                bad(line, key, f"unknown role {role!r} (for a {kind} step: {', '.join(allowed)})")
        who[key] = tuple(r for r in value if r in allowed)
    if not raw.get("to"):
        bad(line, "to", "a step needs someone to tell")
    gate = raw.get("gate")
    if gate is not None and gate not in CLAUSES:
        bad(line, "gate", f"unknown clause {gate!r} (clauses: {', '.join(CLAUSES)})")
        gate = None
    approval = raw.get("approval", False)
    if not isinstance(approval, bool):
        bad(line, "approval", f"{approval!r}: expected true or false")
        approval = False
    brings, charges, pay_within = _what_it_does(raw, kind, line, bad)
    return Step(
        sid,
        offset,
        StepKind(kind),
        StepLevel(level) if level in LEVELS else StepLevel.INVOICE,
        template if isinstance(template, str) else sid,
        who["to"],
        who["cc"],
        who["notify"],
        None if gate is None else Clause(gate),
        approval,
        brings,
        charges,
        pay_within,
    )


def _what_it_does(raw, kind, line, bad) -> tuple[Level | None, bool, int | None]:
    """(brings, charges, pay_within_days) of a step, checked against its kind."""
    if not {"brings", "charges", "pay_within_days"} & raw.keys():
        fits = {"brings"} if kind == StepKind.LEVER else {"charges", "pay_within_days"}
        before = BEFORE_THE_KEYS.get(raw.get("id"), {})
        raw = {**raw, **{k: v for k, v in before.items() if k in fits}}
    brings = raw.get("brings")
    if brings is not None:
        if kind != StepKind.LEVER:
            bad(line, "brings", "only a lever step brings a service level")
        if brings not in BRINGS:
            bad(line, "brings", f"{brings!r}: expected one of {', '.join(BRINGS)}")
        brings = Level(brings) if brings in BRINGS and kind == StepKind.LEVER else None
    charges = raw.get("charges", False)
    if not isinstance(charges, bool):
        bad(line, "charges", f"{charges!r}: expected true or false")
        charges = False
    elif charges and kind not in MESSAGE_KINDS:
        bad(line, "charges", "only a message (email or letter) charges interest and fees")
        charges = False
    days = raw.get("pay_within_days")
    if days is not None:
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
            bad(line, "pay_within_days", f"{days!r} is not a number of days (1-365)")
            days = None
        elif kind not in MESSAGE_KINDS:
            bad(line, "pay_within_days", "only a message (email or letter) gives days to pay")
            days = None
    return brings, charges, days


def policy_to_data(policy: Policy) -> dict:
    """The policy as plain data (for YAML and JSON output)."""
    steps = []
    for s in policy.steps:
        d = {"id": s.id, "offset_days": s.offset_days, "kind": s.kind.value, "level": s.level.value}
        if s.template != s.id:
            d["template"] = s.template
        d["to"] = list(s.to)
        for key in ("cc", "notify"):
            if getattr(s, key):
                d[key] = list(getattr(s, key))
        if s.gate:
            d["gate"] = s.gate.value
        if s.approval:
            d["approval"] = True
        if s.brings:
            d["brings"] = s.brings.value
        if s.charges:
            d["charges"] = True
        if s.pay_within_days:
            d["pay_within_days"] = s.pay_within_days
        steps.append(d)
    start, end = policy.send_window
    return {
        "name": policy.name,
        "notice_days": policy.notice_days,
        "promise_grace_days": policy.promise_grace_days,
        "minimum_amount": str(policy.minimum_amount),
        "send_window": f"{start:%H:%M}-{end:%H:%M}",
        "steps": steps,
    }
