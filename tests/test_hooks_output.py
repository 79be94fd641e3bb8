"""What a hook leaves behind: an escrowed secret never reaches the hook log or the database,
wherever it falls in the program's output, and a hook whose program does not exist is refused
when it is added."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.db.models.functions import Cast

from arrears.levers.models import Escrow, Hook, HookRun

from .conftest import write
from .factory import import_ledger

pytestmark = pytest.mark.django_db

OWNER = "owner@northwind.example"
DEPLOY_KEY = "ghp_SpanningTheCutDeployKey0123456789abcdef"
CLIENTS = """
client_id,name,country,timezone,currency
C1,Acme Logistics,GB,Europe/London,GBP
"""


@pytest.fixture
def ledger(cli, tmp_path):
    import_ledger(cli, tmp_path, clients=CLIENTS)
    return cli


def stored_anywhere(fragment: str) -> list[str]:
    """Every model field (text, or JSON read as text) holding `fragment`, as model.field."""
    found = []
    for model in apps.get_models():
        rows = model._base_manager.all()
        for f in model._meta.concrete_fields:
            if isinstance(f, models.CharField | models.TextField):
                hit = rows.filter(**{f"{f.attname}__contains": fragment}).exists()
            elif isinstance(f, models.JSONField):
                hit = (
                    rows.annotate(_text=Cast(f.attname, models.TextField()))
                    .filter(_text__contains=fragment)
                    .exists()
                )
            else:
                continue
            if hit:
                found.append(f"{model.__name__}.{f.name}")
    return found


@pytest.mark.parametrize(
    "status, padding",
    [
        (0, 3975),  # the secret straddles the 4,000 characters kept of a run's output
        (1, 3975),  # the same when the program fails (its output is logged with the error)
    ],
)
def test_an_escrowed_secret_that_straddles_the_output_limit_is_blanked_before_the_cut(
    ledger, tmp_path, status, padding
):
    ledger(
        "escrow", "put", "C1", "deploy-key", "--from-file", str(write(tmp_path / "k", DEPLOY_KEY))
    )
    ledger(
        "hook", "add", "ci-key", "--kind", "escrow", "--client", "C1", "--secret-name", "deploy-key",
        "--withhold", "true",
        "--restore", f"sh -c 'printf \"%{padding}s\" \"\"; cat; exit {status}'",
    )  # fmt: skip
    ledger("level", "C1", "--set", "suspended", "--reason", "unpaid", "--by", OWNER)
    ledger("level", "C1", "--set", "normal", "--reason", "paid", "--by", OWNER)
    restore = HookRun.objects.filter(key__contains="restore:suspended").get()
    assert restore.outcome == ("ok" if status == 0 else "retry")
    assert len(restore.output) > padding  # the output was kept, up to the limit
    for size in (5, 8, 12, len(DEPLOY_KEY)):
        assert DEPLOY_KEY[:size] not in restore.output
        assert stored_anywhere(DEPLOY_KEY[:size]) == []
    assert Escrow.objects.get().withheld is (status != 0)


def test_an_escrowed_secret_in_the_output_is_blanked_wherever_it_appears(ledger, tmp_path):
    ledger(
        "escrow", "put", "C1", "deploy-key", "--from-file", str(write(tmp_path / "k", DEPLOY_KEY))
    )
    ledger(
        "hook", "add", "ci-key", "--kind", "escrow", "--client", "C1", "--secret-name", "deploy-key",
        "--withhold", "true",
        "--restore", "sh -c 'echo start; cat; echo; printf \"%5000s\" \"\"; echo end'",
    )  # fmt: skip
    ledger("level", "C1", "--set", "suspended", "--reason", "unpaid", "--by", OWNER)
    ledger("level", "C1", "--set", "normal", "--reason", "paid", "--by", OWNER)
    restore = HookRun.objects.filter(key__contains="restore:suspended").get()
    assert restore.output.startswith("start\n[escrowed secret]\n")
    assert restore.output.endswith("(cut short)")
    assert stored_anywhere(DEPLOY_KEY[:5]) == []


@pytest.mark.parametrize(
    "kind, options",
    [
        ("command", ["--command", "no-such-program-arrears --flag"]),
        ("command", ["--command", "/nonexistent/bin/deploy"]),
        (
            "escrow",
            ["--secret-name", "k", "--withhold", "true", "--restore", "no-such-program-arrears"],
        ),
    ],
)
def test_a_hook_whose_program_does_not_exist_is_refused_when_added(ledger, kind, options):
    refused = ledger("hook", "add", "ops", "--kind", kind, *options, ok=False)
    assert "no such program" in refused.stderr
    assert "the hook was not added" in refused.stderr
    assert not Hook.objects.exists()


def test_a_hook_whose_program_is_not_executable_is_refused_when_added(ledger, tmp_path):
    script = write(tmp_path / "deploy.sh", "#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    refused = ledger("hook", "add", "ops", "--kind", "command", "--command", str(script), ok=False)
    assert f"{script}: not executable" in refused.stderr
    assert not Hook.objects.exists()
    script.chmod(0o755)
    ledger("hook", "add", "ops", "--kind", "command", "--command", str(script))
    assert Hook.objects.get().settings["argv"] == [str(script)]
