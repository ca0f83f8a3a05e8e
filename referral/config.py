"""Settings: defaults here, then the mapping given to create_app, then the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from referral.errors import ConfigurationError  # noqa: F401 (importers name it here too)

DEFAULT_SECRET = "dev-only-not-secret"  # noqa: S105 - refused in production by check_production_config


class Config:
    """Defaults for a newcomer's machine: SQLite under instance/, no Redis needed."""

    ENV_NAME = "development"
    SECRET_KEY = DEFAULT_SECRET
    SQLALCHEMY_DATABASE_URI = ""  # filled by create_app: sqlite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    POSTGRES_JIT = False  # PostgreSQL's JIT costs short web queries more than it saves
    REDIS_URL = ""
    CELERY_BROKER_URL = ""
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Asia/Almaty"
    LANGUAGES = ("en", "ru", "kk")
    DISPLAY_TIMEZONE = "Asia/Almaty"
    # Sessions: the cookie holds an opaque session id only; the server can revoke it.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # Login throttling: this many failures within the window lock the identifier for a while.
    LOGIN_MAX_FAILURES = 5
    LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
    LOGIN_LOCKOUT_PERIOD = timedelta(minutes=15)
    # Rate limits (referral/accounts/ratelimit.py; "N per minute;M per hour"): failed logins per
    # client address, and per account from everywhere (kept above what one address can spend
    # before its lock, so that no one address can lock the owner out), reset requests per both.
    LOGIN_LIMIT_PER_ADDRESS = "20 per minute;100 per hour"
    LOGIN_LIMIT_PER_ACCOUNT = "60 per hour"
    PASSWORD_RESET_LIMIT_PER_ADDRESS = "10 per hour"  # noqa: S105 - a rate, not a password
    PASSWORD_RESET_LIMIT_PER_ACCOUNT = "3 per hour"  # noqa: S105 - a rate, not a password
    # Self-service password reset: how long the e-mailed link works, and the least time the
    # request takes to answer (a known and an unknown address take the same time).
    PASSWORD_RESET_LIFETIME = timedelta(minutes=30)
    PASSWORD_RESET_ANSWER_SECONDS = 0.5
    PASSWORD_MIN_LENGTH = 12
    # argon2id cost; None keeps argon2-cffi's recommended profile (RFC 9106). Only tests lower it.
    ARGON2_TIME_COST: int | None = None
    ARGON2_MEMORY_KIB: int | None = None
    PASSWORD_MAX_LENGTH = 128
    INVITE_LIFETIME = timedelta(days=3)
    HSTS = False
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (0: none). The
    # audit trail's source IP and https links depend on it behind nginx or a load balancer.
    TRUSTED_PROXIES = 0
    # E-mail
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 1025
    MAIL_USE_TLS = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""  # noqa: S105
    MAIL_DEFAULT_SENDER = "referral@localhost"
    # The development mailbox (referral/notifications/devmail.py): the Maildir that `make run`'s
    # SMTP catcher fills, read on /admin/dev-mailbox. Empty: no such page; never in production.
    DEV_MAILBOX_DIR = ""
    # Development: one administrator alert per e-mail outage (until an e-mail goes out again),
    # not one per failed e-mail; a demo without an SMTP server would otherwise bury the bell.
    NOTIFY_ALERT_EVERY_FAILURE = False
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    DEMO_ALLOWED = True
    # Second factor (accounts/second_factor.py): the roles that must have one, as role names
    # separated by commas, "case_readers" (each role that reads case content, from the
    # permission table), "all" or "none" (env REFERRAL_SECOND_FACTOR_ROLES). Optional in
    # development and tests; production requires it (ProductionConfig).
    SECOND_FACTOR_ROLES = "none"
    SECOND_FACTOR_LOGIN_TIMEOUT = timedelta(minutes=5)  # password accepted, factor not yet
    # Passkeys' relying party; empty: the host and the origin of PUBLIC_BASE_URL.
    WEBAUTHN_RP_ID = ""
    WEBAUTHN_ORIGIN = ""
    # Emergency ("break the glass") access to a case of another agency: read-only, this long.
    EMERGENCY_ACCESS_DURATION = timedelta(hours=4)
    # Referrals: time to accept per urgency (no statutory deadline exists: keep configurable).
    REFERRAL_DEADLINES = {
        "emergency": timedelta(hours=2),
        "urgent": timedelta(hours=24),
        "routine": timedelta(hours=72),
    }
    # The web app refuses to start against a database behind the code's migrations
    # (referral/backup/upgrade.py). Off here: `make run` migrates before it starts.
    CHECK_MIGRATIONS = False
    # Logs on stdout (referral/web/logs.py): readable text for `make run`, JSON in production.
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"


class ProductionConfig(Config):
    ENV_NAME = "production"
    NOTIFY_ALERT_EVERY_FAILURE = True  # each failed e-mail is someone not told: alert each one
    SESSION_COOKIE_SECURE = True
    HSTS = True
    DEMO_ALLOWED = False
    SECOND_FACTOR_ROLES = "case_readers,administrator"
    CHECK_MIGRATIONS = True
    LOG_FORMAT = "json"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    NOTIFY_ALERT_EVERY_FAILURE = True  # as in production; tests of development's set it
    SECRET_KEY = "testing-secret-key-not-for-production"  # noqa: S105
    # Cheap argon2id so that hundreds of logins stay fast; production refuses these values.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 1024
    PUBLIC_BASE_URL = "http://localhost"
    PASSWORD_RESET_ANSWER_SECONDS = 0.0  # tests of the even timing set it


CONFIGS: dict[str, type[Config]] = {
    "development": Config,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def environment_overrides(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """The documented plain variables (DATABASE_URL, REDIS_URL, SECRET_KEY, SMTP_*, …), parsed
    by their type in referral/settings.py (add a variable there, with one line)."""
    from referral.settings import plain_overrides

    return plain_overrides(environ)


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def default_sqlite_url(instance_path: str) -> str:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / 'referral.sqlite'}"


def check_production_config(config: dict[str, Any]) -> None:
    """Refuse to run production with a missing or default secret key."""
    if config.get("ENV_NAME") != "production":
        return
    key = config.get("SECRET_KEY") or ""
    if key in ("", DEFAULT_SECRET) or len(key) < 32:
        raise ConfigurationError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production"
        )
    # OWASP's floor for argon2id: 19 MiB of memory and 2 iterations.
    if (config.get("ARGON2_MEMORY_KIB") or 19456) < 19456 or (
            config.get("ARGON2_TIME_COST") or 2) < 2:
        raise ConfigurationError("argon2 cost below the OWASP minimum in production")
