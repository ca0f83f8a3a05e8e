"""Every setting the environment may give, with its type: parsed and checked at start-up.

``REFERRAL_LOGIN_FAILURE_WINDOW=900`` once loaded as the integer 900 where a timedelta was
expected (Flask's ``from_prefixed_env`` reads JSON), and a mistyped name was silently ignored.
Here each setting has one line: its config key, its type (which parses the text and checks a
value given in Python), and the variable that sets it (``REFERRAL_<KEY>`` unless named). A bad
value, or a ``REFERRAL_`` variable that is no setting, stops the app with a message naming the
variable. Defaults stay where they were (referral/config.py, a module's DEFAULTS); ``default``
is only for a setting nothing else defaults.

Adding a setting: one line in SETTINGS, e.g. ``Setting("MY_LIMIT", Integer(minimum=1))``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from referral.setting_kinds import (  # noqa: F401 (re-exported: tests and the reference)
    Boolean,
    Choice,
    Duration,
    HoursByName,
    Integer,
    IntList,
    Kind,
    MonthsByName,
    Number,
    SettingError,
    Text,
    Url,
    Zone,
)

INHERIT = object()  # the default comes from referral/config.py or the module that reads it


@dataclass(frozen=True)
class Setting:
    key: str                 # the app.config key
    kind: Kind
    env: str = ""            # the variable; "" means REFERRAL_<key>
    default: Any = field(default=INHERIT)
    optional: bool = False   # None is a value (e.g. "use the library's default")

    @property
    def variable(self) -> str:
        return self.env or f"REFERRAL_{self.key}"


SECONDS, BOOL, TEXT, COUNT, ANY_COUNT = Duration(), Boolean(), Text(), Integer(1), Integer(0)

SETTINGS: tuple[Setting, ...] = (
    # The documented plain variables (README, .env.example), in their own units.
    Setting("SECRET_KEY", TEXT, env="SECRET_KEY"),
    Setting("SQLALCHEMY_DATABASE_URI", Url(("sqlite", "postgres", "postgresql",
                                            "postgresql+psycopg"), empty=True),
            env="DATABASE_URL"),
    Setting("REDIS_URL", Url(("redis", "rediss"), empty=True), env="REDIS_URL"),
    Setting("DATABASE_REPLICA_URL", Url(("postgres", "postgresql", "postgresql+psycopg"),
                                        empty=True), env="DATABASE_REPLICA_URL", default=""),
    Setting("MAIL_SERVER", TEXT, env="SMTP_HOST"),
    Setting("MAIL_PORT", Integer(1, 65535), env="SMTP_PORT"),
    Setting("MAIL_USE_TLS", BOOL, env="SMTP_TLS"),
    Setting("MAIL_USERNAME", TEXT, env="SMTP_USERNAME"),
    Setting("MAIL_PASSWORD", TEXT, env="SMTP_PASSWORD"),
    Setting("MAIL_DEFAULT_SENDER", TEXT, env="MAIL_FROM"),
    Setting("PUBLIC_BASE_URL", Url(("http", "https")), env="PUBLIC_BASE_URL"),
    Setting("SESSION_IDLE_TIMEOUT", Duration(60, 1), env="SESSION_IDLE_MINUTES"),
    Setting("SESSION_ABSOLUTE_LIFETIME", Duration(3600, 1), env="SESSION_LIFETIME_HOURS"),
    Setting("PASSWORD_RESET_LIFETIME", Duration(60, 1), env="PASSWORD_RESET_MINUTES"),
    Setting("TRUSTED_PROXIES", Integer(0, 10), env="TRUSTED_PROXIES"),
    Setting("METRICS_ALLOWED_ADDRESSES", TEXT, env="METRICS_ALLOWED_ADDRESSES",
            default="127.0.0.1/32,::1/128"),  # who may read /metrics (referral/ops/access.py)
    Setting("METRICS_TOKEN", TEXT, env="METRICS_TOKEN", default=""),  # or with this bearer token
    # AGPL-3.0 section 13: users of the service are offered its source (the footer's link).
    Setting("SOURCE_URL", Url(("https", "http"), empty=True), env="SOURCE_URL", default=""),
    # REFERRAL_<KEY>: durations in seconds.
    Setting("SECRET_KEY", TEXT),
    Setting("POSTGRES_JIT", BOOL),
    Setting("CELERY_BROKER_URL", TEXT),
    Setting("BABEL_DEFAULT_LOCALE", Choice(("en", "ru", "kk"))),
    Setting("BABEL_DEFAULT_TIMEZONE", Zone()),
    Setting("DISPLAY_TIMEZONE", Zone()),
    Setting("SESSION_COOKIE_HTTPONLY", BOOL),
    Setting("SESSION_COOKIE_SAMESITE", Choice(("Lax", "Strict"))),
    Setting("SESSION_COOKIE_SECURE", BOOL),
    Setting("SESSION_IDLE_TIMEOUT", Duration(minimum=60)),
    Setting("SESSION_ABSOLUTE_LIFETIME", Duration(minimum=60)),
    Setting("PERMANENT_SESSION_LIFETIME", SECONDS),
    Setting("LOGIN_MAX_FAILURES", COUNT),
    Setting("LOGIN_FAILURE_WINDOW", Duration(minimum=1)),
    Setting("LOGIN_LOCKOUT_PERIOD", SECONDS),
    Setting("LOGIN_LIMIT_PER_ADDRESS", TEXT),
    Setting("LOGIN_LIMIT_PER_ACCOUNT", TEXT),
    Setting("PASSWORD_RESET_LIMIT_PER_ADDRESS", TEXT),
    Setting("PASSWORD_RESET_LIMIT_PER_ACCOUNT", TEXT),
    Setting("PASSWORD_RESET_LIFETIME", Duration(minimum=60)),
    Setting("PASSWORD_RESET_ANSWER_SECONDS", Number()),
    Setting("PASSWORD_MIN_LENGTH", Integer(8, 128)),
    Setting("PASSWORD_MAX_LENGTH", Integer(64, 4096)),
    Setting("ARGON2_TIME_COST", COUNT, optional=True),
    Setting("ARGON2_MEMORY_KIB", Integer(minimum=8), optional=True),
    Setting("INVITE_LIFETIME", Duration(minimum=60)),
    Setting("HSTS", BOOL),
    Setting("TRUSTED_PROXIES", Integer(0, 10)),
    Setting("MAIL_SERVER", TEXT),
    Setting("MAIL_PORT", Integer(1, 65535)),
    Setting("MAIL_USE_TLS", BOOL),
    Setting("MAIL_DEFAULT_SENDER", TEXT),
    Setting("DEV_MAILBOX_DIR", TEXT),
    Setting("NOTIFY_ALERT_EVERY_FAILURE", BOOL),
    Setting("PUBLIC_BASE_URL", Url(("http", "https"))),
    Setting("DEMO_ALLOWED", BOOL),
    Setting("SECOND_FACTOR_ROLES", TEXT),
    Setting("SECOND_FACTOR_LOGIN_TIMEOUT", SECONDS),
    Setting("WEBAUTHN_RP_ID", TEXT),
    Setting("WEBAUTHN_ORIGIN", Url(("http", "https"), empty=True)),
    Setting("RATELIMIT_STORAGE_URI", TEXT),
    Setting("EMERGENCY_ACCESS_DURATION", Duration(minimum=60)),
    Setting("REFERRAL_DEADLINES", HoursByName(("emergency", "urgent", "routine"))),
    Setting("CASE_LIST_COUNT_CAP", COUNT),
    Setting("MAX_CONTENT_LENGTH", COUNT, optional=True),
    Setting("RISK_MEDIUM_FROM", ANY_COUNT),
    Setting("RISK_HIGH_FROM", ANY_COUNT),
    Setting("RISK_GROUP_HIGH_FROM", ANY_COUNT),
    Setting("COORDINATION_DUE_SOON_HOURS", COUNT),
    Setting("COORDINATION_NO_PROGRESS_DAYS", COUNT),
    Setting("COORDINATION_MEASURE_ENDING_DAYS", COUNT),
    Setting("COORDINATION_FOLLOW_UP_DAYS", COUNT),
    Setting("COORDINATION_REVIEW_ROWS", COUNT),
    Setting("COORDINATION_REVIEW_SECTION_ROWS", COUNT),
    Setting("COORDINATION_FIGURES_CACHE_SECONDS", ANY_COUNT),
    Setting("NOTIFY_MAX_ATTEMPTS", COUNT),
    Setting("NOTIFY_RETRY_BASE_SECONDS", Number()),
    Setting("NOTIFY_RETRY_CAP_SECONDS", Number()),
    Setting("NOTIFY_REQUEUE_AFTER_SECONDS", COUNT),
    Setting("NOTIFY_CLAIM_TIMEOUT_SECONDS", COUNT),
    Setting("NOTIFY_SMTP_TIMEOUT_SECONDS", COUNT),
    Setting("NOTIFY_PUBLISH_BATCH", COUNT),
    Setting("NOTIFY_PENDING_THRESHOLDS", IntList()),
    Setting("NOTIFY_NO_PROGRESS_DAYS", COUNT),
    Setting("NOTIFY_MEASURE_ENDING_DAYS", IntList()),
    Setting("NOTIFY_HIGH_RISK_UNACCEPTED_HOURS", COUNT),
    Setting("NOTIFY_DIGEST_HOUR", Integer(0, 23)),
    Setting("NOTIFY_DIGEST_TIMEZONE", Zone()),
    Setting("REMINDER_SWEEP_SECONDS", Number(minimum=1.0), optional=True),  # beat; 60 unset
    Setting("HEALTH_BEAT_MAX_AGE", Duration(minimum=1), default=timedelta(seconds=180)),
    Setting("HEALTH_OUTBOX_MAX_AGE", Duration(minimum=1), default=timedelta(seconds=300)),
    Setting("CHECK_MIGRATIONS", BOOL),  # referral/backup/upgrade.py
    Setting("BACKUP_KEY", TEXT, default=""),  # base64 of 32 bytes; referral/backup/crypto.py
    Setting("BACKUP_DIR", TEXT, default=""),  # "": <instance>/backups
    Setting("LOG_FORMAT", Choice(("json", "text"))),
    Setting("LOG_LEVEL", Choice(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))),
    Setting("RETENTION_MONTHS", MonthsByName(), default={}),  # referral/retention/policy.py
    # Documents (referral/documents/crypto.py, storage.py): the master key (base64 of 32 bytes),
    # old keys still read during a rotation, and where the encrypted files are kept.
    Setting("DOCUMENTS_KEY", TEXT, default=""),
    Setting("DOCUMENTS_OLD_KEYS", TEXT, default=""),
    Setting("DOCUMENTS_STORE", Choice(("file", "s3")), default="file"),
    Setting("DOCUMENTS_DIR", TEXT, default=""),  # "": <instance>/documents
    Setting("DOCUMENTS_S3_ENDPOINT", Url(("http", "https"), empty=True), default=""),
    Setting("DOCUMENTS_S3_BUCKET", TEXT, default="referral-documents"),
    Setting("DOCUMENTS_S3_ACCESS_KEY", TEXT, default=""),
    Setting("DOCUMENTS_S3_SECRET_KEY", TEXT, default=""),
    Setting("DOCUMENTS_S3_REGION", TEXT, default="us-east-1"),
    Setting("DOCUMENTS_MAX_MB", Integer(1, 1024), default=20),  # one file; documents/service.py
    # Webhooks (referral/webhooks/config.py): retries, timeout, when an endpoint is disabled, and
    # which addresses may be posted to (http to this machine, private networks).
    Setting("WEBHOOKS_RETRY_SCHEDULE", IntList()),
    Setting("WEBHOOKS_TIMEOUT_SECONDS", Integer(1, 60)),
    Setting("WEBHOOKS_DISABLE_AFTER", COUNT),
    Setting("WEBHOOKS_DISABLE_AFTER_DAYS", COUNT),
    Setting("WEBHOOKS_REQUEUE_AFTER_SECONDS", COUNT),
    Setting("WEBHOOKS_ALLOW_HTTP_LOCALHOST", BOOL, optional=True),
    Setting("WEBHOOKS_ALLOW_PRIVATE", BOOL, optional=True),
    # API tokens (referral/api): the longest lifetime a token may be given, and calls per token.
    Setting("API_TOKEN_MAX_DAYS", Integer(1, 3650), default=365),
    Setting("API_RATE_LIMIT", TEXT, default="600/minute"),
)

# REFERRAL_ variables that are not app settings (read before the app exists, or by tools):
NOT_SETTINGS = frozenset({"REFERRAL_ENV", "REFERRAL_INSTANCE_PATH", "REFERRAL_DEV_MAILBOX",
                          "REFERRAL_REQUIRE_SERVICES"})
ENVIRONMENTS = Choice(("development", "production", "testing"))


def _parse(setting: Setting, raw: str) -> Any:
    try:
        return setting.kind.parse(raw)
    except (ValueError, TypeError, OverflowError):
        raise SettingError(f"{setting.variable}={raw!r} is not valid: expected "
                           f"{setting.kind.expects}") from None


def environment_name(environ: Mapping[str, str]) -> str:
    """REFERRAL_ENV, checked (development when unset)."""
    raw = environ.get("REFERRAL_ENV", "development")
    if not ENVIRONMENTS.accepts(raw):
        raise SettingError(f"REFERRAL_ENV={raw!r} is not valid: expected {ENVIRONMENTS.expects}")
    return raw


def plain_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """The documented plain variables (DATABASE_URL, SMTP_*, …) that are set, parsed."""
    out: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.env and not setting.env.startswith("REFERRAL_"):
            raw = environ.get(setting.env)
            if raw:
                out[setting.key] = _parse(setting, raw)
    return out


def prefixed_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every REFERRAL_<KEY> variable, parsed; a REFERRAL_ name that is no setting refuses."""
    known = {s.variable: s for s in SETTINGS}
    out: dict[str, Any] = {}
    for name in sorted(environ):
        if not name.startswith("REFERRAL_") or name in NOT_SETTINGS:
            continue
        setting = known.get(name)
        if setting is None:
            raise SettingError(f"{name} is not a setting: check its spelling (settings are "
                               f"listed in referral/settings.py)")
        out[setting.key] = _parse(setting, environ[name])
    return out


def apply_defaults(config: dict[str, Any]) -> None:
    """Defaults of settings that nothing else defaults."""
    for setting in SETTINGS:
        if setting.default is not INHERIT:
            config.setdefault(setting.key, setting.default)


def check_config(config: Mapping[str, Any]) -> None:
    """Every setting present has a value of its type, whoever set it."""
    for setting in SETTINGS:
        if setting.key not in config:
            continue
        value = config[setting.key]
        if value is None and setting.optional:
            continue
        if not setting.kind.accepts(value):
            raise SettingError(f"setting {setting.key} (variable REFERRAL_{setting.key}) is "
                               f"{value!r}: expected {setting.kind.expects}")
