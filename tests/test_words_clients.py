"""A client's postal address, for the letters that go by post: imported, exported, edited in the
admin, and printed in the final demand's address block."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from arrears.ledger.models import Client

from .conftest import write
from .factory import make_client

pytestmark = pytest.mark.django_db

CLIENTS = """
client_id,name,country,timezone,currency,postal_address
C1,Acme Logistics,GB,Europe/London,GBP,"1 Canal Street
Manchester M1 3HE"
C2,Rheinland GmbH,DE,Europe/Berlin,EUR,
"""


def test_a_postal_address_over_two_lines_is_imported_and_exported_back(cli, tmp_path):
    cli("import", "clients", str(write(tmp_path / "clients.csv", CLIENTS)))
    acme = Client.objects.get(external_id="C1")
    assert acme.postal_address == "1 Canal Street\nManchester M1 3HE"
    assert Client.objects.get(external_id="C2").postal_address == ""
    out = cli("export", "clients").output
    rows = {r["client_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["C1"]["postal_address"] == "1 Canal Street\nManchester M1 3HE"
    data = json.loads(cli("export", "clients", "--format", "json").output)
    assert data[0]["postal_address"] == "1 Canal Street\nManchester M1 3HE"


def test_a_control_character_in_an_address_is_named_and_nothing_is_imported(cli, tmp_path):
    bad = CLIENTS.replace("1 Canal Street", "1 Canal\x07Street")
    out = cli("import", "clients", str(write(tmp_path / "clients.csv", bad)), ok=False).output
    assert "clients.csv:2:postal_address:" in out and "U+0007" in out
    assert not Client.objects.exists()


def test_the_client_admin_edits_the_postal_address(client, org):
    make_client(org, name="Acme")
    client.login(username="owner@northwind.example", password="a long demo passphrase")
    acme = Client.objects.get()
    page = client.get(reverse("admin:ledger_client_change", args=[acme.pk])).content.decode()
    assert 'name="postal_address"' in page
