"""Policies as stored: the packaged default, and every saved version per organisation."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.db.models import Max

from arrears.channels.email.render import known_templates
from arrears.core.policy import Policy, PolicyError, parse_policy
from arrears.dunning.models import PolicyVersion
from arrears.ledger.models import Organisation

DEFAULT_FILE = Path(__file__).parent / "policies" / "default.yaml"


def default_text() -> str:
    return DEFAULT_FILE.read_text(encoding="utf-8")


def current_texts(org: Organisation) -> dict[str, tuple[str, int]]:
    """name -> (YAML, version); the packaged default is version 0 until one is saved."""
    texts = {"default": (default_text(), 0)}
    latest = PolicyVersion.objects.for_org(org).values("name").annotate(v=Max("version"))
    for row in latest:
        text = PolicyVersion.objects.for_org(org).get(name=row["name"], version=row["v"]).text
        texts[row["name"]] = (text, row["v"])
    return texts


def load_policies(org: Organisation) -> dict[str, Policy]:
    return {
        name: parse(text, f"policy {name} v{v}") for name, (text, v) in current_texts(org).items()
    }


def parse(text: str, source: str) -> Policy:
    return parse_policy(text, source, known_templates())


def save_policy(
    org: Organisation, text: str, *, changed_by: str, source: str, note: str = ""
) -> PolicyVersion:
    """Check the policy, then store it as the next version of its name. Raises PolicyError
    with every problem; nothing is stored then."""
    policy = parse(text, source)
    with transaction.atomic():
        last = (
            PolicyVersion.objects.for_org(org)
            .filter(name=policy.name)
            .aggregate(v=Max("version"))["v"]
            or 0
        )
        return PolicyVersion.objects.create(
            organisation=org,
            name=policy.name,
            version=last + 1,
            text=text,
            changed_by=changed_by,
            note=note,
        )


def export_policies(org: Organisation) -> tuple[str, int]:
    """The organisation's own policies (the latest version of each it saved, the default too
    if it changed it) as one YAML stream, each document as it was saved; and how many."""
    texts = current_texts(org)
    own = [name for name, (_text, version) in sorted(texts.items()) if version > 0]
    stream = "".join(f"---\n{_body(texts[name][0])}" for name in own)
    return stream, len(own)


def _body(text: str) -> str:
    """A saved policy as one document of the stream: without a start marker of its own."""
    lines = text.splitlines(keepends=True)
    if lines and lines[0].rstrip() == "---":
        lines = lines[1:]
    body = "".join(lines)
    return body if body.endswith("\n") else body + "\n"


def _documents(stream: str) -> list[tuple[int, str]]:
    """The documents of a YAML stream, split at `---` lines: (line the document starts on,
    its text)."""
    found: list[tuple[int, str]] = []
    start, lines = 1, []
    for n, line in enumerate(stream.splitlines(keepends=True), start=1):
        if line.rstrip() == "---":
            if "".join(lines).strip():
                found.append((start, "".join(lines)))
            start, lines = n + 1, []
        else:
            lines.append(line)
    if "".join(lines).strip():
        found.append((start, "".join(lines)))
    return found


def import_policies(
    org: Organisation, stream: str, *, source: str, changed_by: str
) -> tuple[list[str], list[str]]:
    """Save every policy of a stream (`arrears export policies`) as the next version of its
    name, unless the organisation has it already word for word. All or nothing: every
    problem of every document is raised together (PolicyError), naming the stream's lines.
    Returns (names saved, names unchanged)."""
    from arrears.core.problems import Problem

    problems: list[Problem] = []
    parsed: list[tuple[Policy, str]] = []
    seen: dict[str, int] = {}
    for start, text in _documents(stream):
        try:
            policy = parse(text, source)
        except PolicyError as exc:
            problems.extend(
                Problem(p.source, p.row + start - 1 if p.row else start, p.column, p.message)
                for p in exc.problems
            )
            continue
        if policy.name in seen:
            problems.append(
                Problem(
                    source,
                    start,
                    "name",
                    f"policy {policy.name!r} is also on line {seen[policy.name]}",
                )
            )
            continue
        seen[policy.name] = start
        parsed.append((policy, text))
    if not parsed and not problems:
        problems.append(Problem(source, None, None, "no policy in the file"))
    if problems:
        raise PolicyError(problems)
    texts = current_texts(org)
    saved, unchanged = [], []
    with transaction.atomic():
        for policy, text in parsed:
            if policy.name in texts and _body(texts[policy.name][0]).strip() == text.strip():
                unchanged.append(policy.name)
                continue
            save_policy(
                org, text, changed_by=changed_by, source=source, note=f"imported from {source}"
            )
            saved.append(policy.name)
    return saved, unchanged


__all__ = [
    "PolicyError",
    "current_texts",
    "default_text",
    "export_policies",
    "import_policies",
    "load_policies",
    "save_policy",
]
