"""Every change to a model has its migration: a database set up from the migrations is the one
the code expects (a missing migration would fail on a user's next `arrears init`)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:  # --check exits 1 when a migration is missing
        pytest.fail(f"a migration is missing (exit {exit_.code}):\n{out.getvalue()}")
