"""Django settings, all from the environment (docs/settings.md); SQLite under ./var by default."""

from __future__ import annotations

import dj_database_url

from arrears.env import (
    arrears_home,
    database_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_email_url,
    secret_key,
)
from arrears.home import private_file, private_home

HOME = arrears_home()
private_home(HOME)  # 0700: the database, the secret key and documents live here
SECRET_KEY = secret_key(HOME)
private_file(HOME / "secret_key")  # written 0600; one left open by an older version is tightened
DEBUG = env_bool("ARREARS_DEBUG", False)
ALLOWED_HOSTS = env_list("ARREARS_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("ARREARS_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "arrears.ledger",
    "arrears.dunning",
    "arrears.charges",
    "arrears.exposure",
    "arrears.plans",
    "arrears.levers",
    "arrears.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "arrears.urls"
WSGI_APPLICATION = "arrears.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _databases() -> dict:
    url = database_url(HOME)
    config = dj_database_url.parse(url, conn_max_age=env_int("ARREARS_DB_CONN_MAX_AGE", 0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if config["NAME"] != ":memory:":
            from pathlib import Path

            db = Path(config["NAME"])
            db.parent.mkdir(parents=True, exist_ok=True)
            # made 0600 before SQLite creates it (sessions, password hashes); SQLite gives its
            # -wal and -shm files the database file's mode
            private_file(db, create=True)
            for side in ("-wal", "-shm"):
                private_file(db.with_name(db.name + side))
        config["OPTIONS"] = {
            # Writers queue instead of failing at once; IMMEDIATE takes the write lock at
            # BEGIN so two workers never deadlock upgrading a read lock.
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config.setdefault("OPTIONS", {})
    return {"default": config}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise looks here at start-up
MEDIA_ROOT = HOME / "files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the apps: no collectstatic step for a laptop install.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("ARREARS_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

MAILERS = {
    "default": parse_email_url(
        env_str("ARREARS_EMAIL_URL", "console://"), timeout=env_int("ARREARS_EMAIL_TIMEOUT", 30)
    )
}
DEFAULT_FROM_EMAIL = env_str("ARREARS_FROM_EMAIL", "arrears@localhost")
# How long a worker's claim on an outbox row lasts without being renewed (dunning/loop.py).
LEASE_SECONDS = env_int("ARREARS_LEASE_SECONDS", 600, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("ARREARS_LOG_LEVEL", "WARNING")},
}
