"""Settings come from the environment, with defaults that work on a laptop."""

import os
import stat

import pytest

from arrears.env import ConfigError, database_url, env_bool, parse_email_url, secret_key


def test_email_urls(monkeypatch):
    assert parse_email_url("console://")["BACKEND"].endswith("console.EmailBackend")
    smtp = parse_email_url("smtp://127.0.0.1:2525")
    assert smtp["OPTIONS"]["host"] == "127.0.0.1" and smtp["OPTIONS"]["port"] == 2525
    assert not smtp["OPTIONS"]["use_tls"]
    tls = parse_email_url("smtp+tls://me%40x.example:p%40ss@mail.example:587")
    assert tls["OPTIONS"]["use_tls"] and tls["OPTIONS"]["username"] == "me@x.example"
    assert tls["OPTIONS"]["password"] == "p@ss"
    assert parse_email_url("smtps://mail.example")["OPTIONS"]["port"] == 465
    assert parse_email_url("file:///tmp/mail")["OPTIONS"]["file_path"] == "/tmp/mail"


def test_a_bad_email_url_is_named_without_its_password():
    with pytest.raises(ConfigError) as exc:
        parse_email_url("smtq://user:secret@mail.example")
    assert "secret" not in str(exc.value) and "smtq" in str(exc.value)


def test_booleans_must_say_true_or_false(monkeypatch):
    monkeypatch.setenv("X_FLAG", "True")
    assert env_bool("X_FLAG") is True
    monkeypatch.setenv("X_FLAG", "yes")
    with pytest.raises(ConfigError):
        env_bool("X_FLAG")


def test_the_secret_key_is_made_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("ARREARS_SECRET_KEY", raising=False)
    first = secret_key(tmp_path)
    assert len(first) > 40 and secret_key(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    monkeypatch.setenv("ARREARS_SECRET_KEY", "from-the-environment")
    assert secret_key(tmp_path) == "from-the-environment"


def test_the_database_defaults_to_sqlite_in_the_home(tmp_path, monkeypatch):
    monkeypatch.delenv("ARREARS_DATABASE_URL", raising=False)
    assert database_url(tmp_path) == f"sqlite:///{tmp_path}/arrears.sqlite3"
