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


__all__ = ["PolicyError", "current_texts", "default_text", "load_policies", "save_policy"]
