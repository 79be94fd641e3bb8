"""Settings from the environment: tiny helpers, each variable documented in docs/settings.md.

Nothing here imports Django, so the helpers are usable before settings exist.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit


class ConfigError(Exception):
    """A setting from the environment is missing or malformed."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """Accept only true/false (any case): a typo must not silently mean False."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise ConfigError(f"{name}={raw!r}: expected true or false")
    return value == "true"


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={raw!r}: expected a whole number of at least {minimum}")
    return value


def env_list(name: str, default: str) -> list[str]:
    """A comma-separated list."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_secret(name: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (for Docker/systemd secrets)."""
    value = os.environ.get(name, "")
    if value:
        return value
    path = os.environ.get(f"{name}_FILE", "")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={path}: {exc.strerror}") from None
    return ""


def arrears_home() -> Path:
    """ARREARS_HOME: the data folder (database, documents, generated PDFs); ./var by default."""
    return Path(env_str("ARREARS_HOME", "var")).expanduser().resolve()


def secret_key(home: Path) -> str:
    """ARREARS_SECRET_KEY, else a key generated once into $ARREARS_HOME/secret_key (mode 0600)."""
    key = env_secret("ARREARS_SECRET_KEY")
    if key:
        return key
    path = home / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting together agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def database_url(home: Path) -> str:
    return env_str("ARREARS_DATABASE_URL") or f"sqlite:///{home / 'arrears.sqlite3'}"


_BACKENDS = "django.core.mail.backends."


def parse_email_url(url: str, timeout: int = 30) -> dict:
    """The Django mailer (a MAILERS entry) for ARREARS_EMAIL_URL:
    `console://`, `smtp://host:port`, `smtp+tls://user:pass@host:587` (STARTTLS),
    `smtps://user:pass@host:465` (implicit TLS), `file:///path/to/folder`, `memory://`."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":  # one line per message (to, subject), not the whole of each
        return {"BACKEND": "arrears.channels.email.console.EmailBackend"}
    if scheme == "memory":
        return {"BACKEND": _BACKENDS + "locmem.EmailBackend"}
    if scheme == "file":
        if not parts.path:
            raise ConfigError(f"ARREARS_EMAIL_URL={url!r}: file:// needs a folder path")
        return {
            "BACKEND": "arrears.channels.email.files.EmailBackend",  # one .eml per message
            "OPTIONS": {"file_path": parts.path},
        }
    if scheme in ("smtp", "smtp+tls", "smtps"):
        if not parts.hostname:
            raise ConfigError(f"ARREARS_EMAIL_URL={_redact(url)!r}: no host")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"ARREARS_EMAIL_URL={_redact(url)!r}: bad port") from None
        default_port = {"smtp": 25, "smtp+tls": 587, "smtps": 465}[scheme]
        return {
            "BACKEND": _BACKENDS + "smtp.EmailBackend",
            "OPTIONS": {
                "host": parts.hostname,
                "port": port or default_port,
                "username": unquote(parts.username or ""),
                "password": unquote(parts.password or ""),
                "use_tls": scheme == "smtp+tls",
                "use_ssl": scheme == "smtps",
                "timeout": timeout,
            },
        }
    raise ConfigError(
        f"ARREARS_EMAIL_URL={_redact(url)!r}: unknown scheme {scheme!r} "
        "(use console://, smtp://, smtp+tls://, smtps://, file://, memory://)"
    )


def _redact(url: str) -> str:
    """The URL without its password, for error messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()
