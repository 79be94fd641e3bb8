"""The docs are kept honest: every verb, import column and setting is written down."""

from __future__ import annotations

import re
from pathlib import Path

from arrears.cli import main
from arrears.ledger.kinds import KINDS

ROOT = Path(__file__).resolve().parents[1]


def test_every_cli_verb_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [v for v in main.commands if f"arrears {v}" not in readme]
    assert not missing, f"README.md does not mention: {missing}"


def test_every_import_kind_and_column_is_documented():
    text = (ROOT / "docs" / "import.md").read_text()
    for name, kind in KINDS.items():
        assert f"### {name}" in text, name
        assert ",".join(kind.columns) in text or all(f"`{c}`" in text for c in kind.columns), name


def test_every_setting_read_from_the_environment_is_documented():
    used = set()
    for path in (ROOT / "arrears").rglob("*.py"):
        used |= set(re.findall(r'"(ARREARS_[A-Z_]+)"', path.read_text()))
    text = (ROOT / "docs" / "settings.md").read_text()
    missing = sorted(v for v in used if f"`{v}`" not in text)
    assert not missing, f"docs/settings.md does not document: {missing}"
