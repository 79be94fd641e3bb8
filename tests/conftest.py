"""Personas and helpers shared by the tests: an owner's organisation, an outsider's, the CLI."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_configure(config):
    """Asked for PostgreSQL and cannot reach it: fail at once and say so, never skip."""
    url = os.environ.get("ARREARS_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        try:
            socket.create_connection(
                (parts.hostname or "127.0.0.1", parts.port or 5432), timeout=5
            ).close()
        except OSError as exc:
            raise pytest.UsageError(
                f"ARREARS_DATABASE_URL asks for PostgreSQL at {parts.hostname}:{parts.port or 5432}, "
                f"which cannot be reached ({exc}). Start it (see .ci/run) or unset the variable."
            ) from None


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded documents go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "files"


def make_org(name="Northwind Engineering", country="GB", email="owner@northwind.example"):
    from arrears.ledger.organisations import OrganisationSpec, create_organisation

    org, _ = create_organisation(
        OrganisationSpec(
            name=name, country=country, owner_email=email, password="a long demo passphrase"
        )
    )
    return org


@pytest.fixture
def org(db):
    """The owner's organisation (GB, GBP, Europe/London)."""
    return make_org()


@pytest.fixture
def other_org(db):
    """An outsider's organisation: nothing of it may show in `org`."""
    return make_org("Contoso Outsiders", "DE", "boss@contoso.example")


class Cli:
    """Runs `arrears …` in-process, against the test database."""

    def __init__(self, org):
        self.org = org
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool | None = True):
        from arrears.cli import main

        result = self.runner.invoke(main, ["--org", self.org.slug, *args], catch_exceptions=False)
        if ok is True:
            assert result.exit_code == 0, f"arrears {' '.join(args)} failed:\n{result.output}"
        elif ok is False:
            assert result.exit_code != 0, (
                f"arrears {' '.join(args)} should have failed:\n{result.output}"
            )
        return result


@pytest.fixture
def cli(org):
    return Cli(org)


def write(path: Path, text: str) -> Path:
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def smtp(settings):
    """A real SMTP server; arrears' default mailer points at it."""
    from .smtp import smtp_server

    with smtp_server() as (sink, port):
        sink.port = port
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
            }
        }
        yield sink
