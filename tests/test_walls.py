"""The packages' walls hold: the import contracts in pyproject.toml (checked by `make lint`, so by
`make test`) pass on the tree, and adding back one arrow they forbid breaks them, naming the
import. The arrows are added to a copy of the package, read by the real `lint-imports`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess:
    """`lint-imports` with the project's contracts over the package `arrears` found in `tree`."""
    return subprocess.run(
        [LINT_IMPORTS, "--no-logo", "--no-cache", ROOT / "pyproject.toml"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_tree_keeps_every_import_contract():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


ARROWS = [
    # the engine reaching into an app instead of its extension points
    (
        "dunning/snapshot.py",
        "from arrears.plans.service import covered_pks",
        "arrears.dunning is not allowed to import arrears.plans:",
    ),
    (
        "dunning/timeline.py",
        "def late():\n    from arrears.levers.history import events",  # inside a function too
        "arrears.dunning is not allowed to import arrears.levers:",
    ),
    (
        "ledger/kinds/base.py",
        "from arrears.dunning.policy_store import current_texts",
        "arrears.ledger is not allowed to import arrears.dunning:",
    ),
    ("core/money.py", "import django", "arrears.core is not allowed to import django:"),
    ("core/planner.py", "import arrears.env", "arrears.core is not allowed to import arrears.env:"),
    (
        "channels/base.py",
        "from arrears.ledger.models import Invoice",
        "arrears.channels is not allowed to import arrears.ledger:",
    ),
    (
        "levers/service.py",
        "import arrears.plans",
        "arrears.levers is not allowed to import arrears.plans:",
    ),
    ("home.py", "import arrears.web.views", "Illegal imports of protected package arrears.web:"),
]


@pytest.mark.parametrize(("module", "line", "broken"), ARROWS, ids=[a[0] for a in ARROWS])
def test_an_arrow_added_back_breaks_its_contract(tmp_path, module, line, broken):
    shutil.copytree(
        ROOT / "arrears",
        tmp_path / "arrears",
        ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "*.yaml", "*.csv"),
    )
    path = tmp_path / "arrears" / module
    path.write_text(path.read_text() + "\n\n" + line + "\n")
    result = lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in result.stdout
    assert f"arrears.{module.removesuffix('.py').replace('/', '.')} -> " in result.stdout
