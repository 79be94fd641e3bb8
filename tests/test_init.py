"""`arrears init` as a person meets it, in real processes: the data folder is private, and an
email that already has a login never quietly becomes the owner of another organisation."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from .procs import installation


def run(home, *args):
    """arrears on the SQLite database in `home` (whatever database the suite runs on: the
    files of the data folder are what these tests are about)."""
    env = {**os.environ, "ARREARS_HOME": str(home)}
    env.pop("ARREARS_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "arrears", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        umask=0o022,  # the usual umask: what the files would get without arrears' care
    )


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def init(home, pw, org="Solo Dev", email="me@solo.example"):
    return run(
        home, "init", "--no-input", "--org", org, "--country", "DE", "--email", email,
        "--password-file", str(pw),
    )  # fmt: skip


def test_init_makes_a_data_folder_only_its_owner_can_read(tmp_path):
    home = tmp_path / "fresh" / "var"
    pw = tmp_path / "pw"
    pw.write_text("a long enough passphrase\n")
    done = init(home, pw)
    assert done.returncode == 0, done.stderr
    assert mode(home) == 0o700
    assert mode(home / "arrears.sqlite3") == 0o600  # sessions, password hashes
    assert mode(home / "secret_key") == 0o600
    for side in ("arrears.sqlite3-wal", "arrears.sqlite3-shm"):
        if (home / side).exists():
            assert mode(home / side) == 0o600, side
    assert "tightened" not in done.stderr  # nothing was loose: nothing to say


def test_a_data_folder_readable_by_others_is_tightened_once_and_said_so(tmp_path):
    home = tmp_path / "var"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    pw = tmp_path / "pw"
    pw.write_text("a long enough passphrase\n")
    first = init(home, pw)
    assert first.returncode == 0, first.stderr
    assert mode(home) == 0o700
    assert f"{home} was open to other users (0755); tightened to 0700" in first.stderr
    # files left readable by an older version are tightened too
    (home / "arrears.sqlite3").chmod(0o644)
    (home / "secret_key").chmod(0o644)
    again = run(home, "aging")
    assert again.returncode == 0, again.stderr
    assert mode(home / "arrears.sqlite3") == 0o600 and mode(home / "secret_key") == 0o600
    assert "tightened" in again.stderr and "0755" not in again.stderr
    quiet = run(home, "aging")
    assert quiet.returncode == 0 and "tightened" not in quiet.stderr


def test_init_with_an_email_that_has_a_login_needs_that_logins_password(tmp_path):
    from django.contrib.auth.hashers import check_password

    with installation(tmp_path) as inst:
        other = inst.home / "other-pw"
        other.write_text("a different long passphrase\n")
        args = ["init", "--no-input", "--org", "Second Ltd", "--country", "GB"]
        refused = inst.arrears(
            *args, "--email", "owner@northwind.example", "--password-file", str(other), check=False
        )
        assert refused.returncode != 0
        assert "owner@northwind.example already has a login" in refused.stderr
        assert "nothing was created" in refused.stderr
        assert "can log in" not in refused.stdout
        assert inst.query("SELECT name FROM ledger_organisation") == [("Northwind",)]
        [(hashed,)] = inst.query(
            "SELECT password FROM auth_user WHERE username = %s", ("owner@northwind.example",)
        )
        assert check_password("a long enough passphrase", hashed)  # unchanged

        same = inst.arrears(
            *args, "--email", "owner@northwind.example", "--password-file", str(inst.home / "pw")
        )
        assert "organisation 'Second Ltd' created" in same.stdout
        assert "logs in with their existing password" in " ".join(same.stdout.split())
        roles = inst.query(
            "SELECT o.name, m.role FROM ledger_membership m "
            "JOIN ledger_organisation o ON o.id = m.organisation_id "
            "JOIN auth_user u ON u.id = m.user_id WHERE u.username = %s ORDER BY o.name",
            ("owner@northwind.example",),
        )
        assert roles == [("Northwind", "owner"), ("Second Ltd", "owner")]


def test_init_never_makes_a_stranger_owner_of_an_organisation_that_exists(tmp_path):
    with installation(tmp_path) as inst:
        refused = inst.arrears(
            "init", "--no-input", "--org", "Northwind", "--country", "GB",
            "--email", "stranger@elsewhere.example", "--password-file", str(inst.home / "pw"),
            check=False,
        )  # fmt: skip
        assert refused.returncode != 0
        assert "organisation 'Northwind' exists already" in refused.stderr
        assert inst.query("SELECT username FROM auth_user") == [("owner@northwind.example",)]
        # the owner running it again is fine, and their password is left alone
        other = inst.home / "other-pw"
        other.write_text("a different long passphrase\n")
        again = inst.arrears(
            "init", "--no-input", "--org", "Northwind", "--country", "GB",
            "--email", "owner@northwind.example", "--password-file", str(other),
        )  # fmt: skip
        assert "already exists" in again.stdout
        assert "password is unchanged" in " ".join(again.stdout.split())
