"""`arrears demo` fills an empty organisation only; refusing is a failure (non-zero exit), so
that a script can tell that nothing was loaded."""

from __future__ import annotations

import pytest

from arrears.ledger.models import Client

from .conftest import write

pytestmark = pytest.mark.django_db


def test_the_demo_refuses_an_organisation_with_clients_and_exits_non_zero(cli, tmp_path):
    cli(
        "import",
        "clients",
        str(
            write(
                tmp_path / "c.csv",
                "client_id,name,country,timezone,currency\nC1,Acme,GB,Europe/London,GBP\n",
            )
        ),
    )
    refused = cli("demo", "--seed", "1", ok=False)
    assert refused.exit_code == 1
    assert "already has clients; the demo only fills an empty organisation" in refused.stderr
    assert list(Client.objects.values_list("external_id", flat=True)) == ["C1"]
