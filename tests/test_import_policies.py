"""`arrears export policies` carries an organisation's own dunning policies, so that an export
of clients that follow a custom policy imports back into an empty organisation."""

from __future__ import annotations

from arrears.dunning.policy_store import current_texts, default_text
from arrears.ledger.models import Client

from .conftest import Cli, make_org, write

STRICT = (
    default_text()
    .replace("name: default", "name: strict", 1)
    .replace("promise_grace_days: 3", "promise_grace_days: 1", 1)
)
CLIENTS = "client_id,name,country,timezone,currency,policy\nC1,Acme,GB,Europe/London,GBP,strict\n"


def test_an_export_with_its_policies_imports_back_into_an_empty_organisation(cli, org, tmp_path):
    cli("policy", "set", str(write(tmp_path / "strict.yaml", STRICT)))
    cli("import", "clients", str(write(tmp_path / "c.csv", CLIENTS)))
    policies, clients = tmp_path / "policies.yaml", tmp_path / "clients.csv"
    cli("export", "policies", "-o", str(policies))
    cli("export", "clients", "-o", str(clients))

    fresh = Cli(make_org("Fresh Copy Ltd", "GB", "copy@fresh.example"))
    result = fresh("import", "clients", str(clients), ok=False)
    assert result.stderr.splitlines()[0] == (
        f"{clients}: policy 'strict' does not exist (used by 1 row, first at row 2); "
        "import it first with arrears import policies FILE"
    )
    fresh("import", "policies", str(policies), "--dry-run")
    assert "strict" not in current_texts(fresh.org)
    result = fresh("import", "policies", str(policies))
    assert "1 saved (strict)" in result.output
    assert current_texts(fresh.org)["strict"][0].strip() == STRICT.strip()
    fresh("import", "clients", str(clients))
    assert Client.objects.for_org(fresh.org).get(external_id="C1").policy == "strict"
    # again: nothing changes
    assert "0 saved (none), 1 unchanged" in fresh("import", "policies", str(policies)).output
    assert fresh("export", "policies").stdout == cli("export", "policies").stdout


def test_a_bad_policy_in_the_stream_is_named_by_its_line_and_nothing_is_saved(cli, org, tmp_path):
    bad = STRICT.replace("name: strict", "name: lax").replace(
        "offset_days: -3", "offset_days: x", 1
    )
    path = write(tmp_path / "p.yaml", f"---\n{STRICT}---\n{bad}")
    result = cli("import", "policies", str(path), ok=False)
    # the step with the bad offset, counted from the top of the stream
    line = 1 + STRICT.count("\n") + 1 + bad.splitlines().index("  - id: upcoming") + 1
    assert any(p.startswith(f"{path}:{line}") for p in result.stderr.splitlines()), result.stderr
    assert "nothing was imported" in result.stderr
    assert set(current_texts(org)) == {"default"}
