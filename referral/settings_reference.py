"""The settings reference of docs/operations.md, made from the SETTINGS table.

The guide's table is this module's output (``scripts/settings-reference --write`` puts it
between the markers); tests/ops/test_settings_reference.py fails when the two differ, and when
a setting has no meaning written here, so neither the guide nor this file can fall behind the
code. Defaults are read where the code keeps them (referral/config.py, a setting's own default,
a module's DEFAULTS); the few computed at start-up are said in words.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from referral import config as config_module
from referral.settings import INHERIT, NOT_SETTINGS, SETTINGS, Duration, Setting

START = "<!-- settings-reference:start -->"
END = "<!-- settings-reference:end -->"

# What each variable does, for an operator. Every variable of SETTINGS and NOT_SETTINGS needs one.
MEANINGS: dict[str, str] = {
    "SECRET_KEY": "Signs session cookies and CSRF tokens and derives the key of second-factor "
                  "secrets at rest. Production refuses to start without a random value of 32+ "
                  "characters. Changing it logs everyone out and makes enrolled authenticator "
                  "apps unreadable (their users log in with a passkey or recovery code, or are "
                  "reset)",
    "DATABASE_URL": "SQLAlchemy URL of the database; `postgres://` and `postgresql://` are "
                    "accepted. Production: the app role `referral_app` (the migrate job: "
                    "`referral_owner`)",
    "REDIS_URL": "Redis: Celery broker and login rate-limit counters. Empty: a SQLite broker "
                 "under the instance folder (one machine only)",
    "DATABASE_REPLICA_URL": "A PostgreSQL streaming replica that the coordinators' statistics "
                            "pages read from; empty: everything reads the primary",
    "SMTP_HOST": "SMTP server of outgoing e-mail",
    "SMTP_PORT": "its port",
    "SMTP_TLS": "STARTTLS to the SMTP server",
    "SMTP_USERNAME": "SMTP login (empty: none)",
    "SMTP_PASSWORD": "SMTP password",
    "MAIL_FROM": "sender address of notification e-mails",
    "PUBLIC_BASE_URL": "the address users open: links in e-mails, passkeys' origin",
    "SOURCE_URL": "where users get the source of the version you run (AGPL-3.0 section 13: "
                  "required once you change the code); linked in every page's footer",
    "SESSION_IDLE_MINUTES": "log out after this many minutes without activity",
    "SESSION_LIFETIME_HOURS": "end every session this many hours after login",
    "PASSWORD_RESET_MINUTES": "how long a self-service password-reset link works",
    "TRUSTED_PROXIES": "reverse proxies in front of the app whose X-Forwarded-For/-Proto are "
                       "believed (client address of audit, rate limits, locks; https links); "
                       "0: the connection's own address",
    "METRICS_ALLOWED_ADDRESSES": "addresses or CIDR blocks (comma-separated) that may read "
                                 "`/metrics`; anyone else gets 404",
    "METRICS_TOKEN": "or read `/metrics` from anywhere with `Authorization: Bearer <token>`; "
                     "empty: no token",
    "REFERRAL_SECRET_KEY": "the same as `SECRET_KEY`",
    "REFERRAL_POSTGRES_JIT": "leave PostgreSQL's JIT on (it costs short web queries more than "
                             "it saves)",
    "REFERRAL_CELERY_BROKER_URL": "Celery broker when it is not `REDIS_URL`",
    "REFERRAL_BABEL_DEFAULT_LOCALE": "language before a user chooses one",
    "REFERRAL_BABEL_DEFAULT_TIMEZONE": "time zone of dates shown",
    "REFERRAL_DISPLAY_TIMEZONE": "time zone of local days and months (reports, figures); "
                                 "after a change run `flask coordination rebuild-figures`",
    "REFERRAL_SESSION_COOKIE_HTTPONLY": "session cookie hidden from scripts",
    "REFERRAL_SESSION_COOKIE_SAMESITE": "session cookie's SameSite",
    "REFERRAL_SESSION_COOKIE_SECURE": "session cookie sent over HTTPS only",
    "REFERRAL_SESSION_IDLE_TIMEOUT": "`SESSION_IDLE_MINUTES` in seconds",
    "REFERRAL_SESSION_ABSOLUTE_LIFETIME": "`SESSION_LIFETIME_HOURS` in seconds",
    "REFERRAL_PERMANENT_SESSION_LIFETIME": "lifetime of the signed cookie itself",
    "REFERRAL_LOGIN_MAX_FAILURES": "failed logins of one identifier within the window that "
                                   "lock it",
    "REFERRAL_LOGIN_FAILURE_WINDOW": "the window those failures are counted in",
    "REFERRAL_LOGIN_LOCKOUT_PERIOD": "how long such a lock lasts",
    "REFERRAL_LOGIN_LIMIT_PER_ADDRESS": "failed logins allowed per client address before 429",
    "REFERRAL_LOGIN_LIMIT_PER_ACCOUNT": "failed logins allowed per account from everywhere "
                                        "before 429",
    "REFERRAL_PASSWORD_RESET_LIMIT_PER_ADDRESS": "reset requests allowed per client address",
    "REFERRAL_PASSWORD_RESET_LIMIT_PER_ACCOUNT": "reset requests allowed per account",
    "REFERRAL_PASSWORD_RESET_LIFETIME": "`PASSWORD_RESET_MINUTES` in seconds",
    "REFERRAL_PASSWORD_RESET_ANSWER_SECONDS": "least time a reset request takes to answer (a "
                                              "known and an unknown address look alike)",
    "REFERRAL_PASSWORD_MIN_LENGTH": "shortest password accepted",
    "REFERRAL_PASSWORD_MAX_LENGTH": "longest password accepted",
    "REFERRAL_ARGON2_TIME_COST": "argon2id iterations; unset: argon2-cffi's RFC 9106 profile "
                                 "(production refuses less than 2)",
    "REFERRAL_ARGON2_MEMORY_KIB": "argon2id memory; unset: the library's profile (production "
                                  "refuses less than 19456)",
    "REFERRAL_INVITE_LIFETIME": "how long an invitation or administrator's reset link works",
    "REFERRAL_HSTS": "send Strict-Transport-Security",
    "REFERRAL_TRUSTED_PROXIES": "the same as `TRUSTED_PROXIES`",
    "REFERRAL_MAIL_SERVER": "the same as `SMTP_HOST`",
    "REFERRAL_MAIL_PORT": "the same as `SMTP_PORT`",
    "REFERRAL_MAIL_USE_TLS": "the same as `SMTP_TLS`",
    "REFERRAL_MAIL_DEFAULT_SENDER": "the same as `MAIL_FROM`",
    "REFERRAL_DEV_MAILBOX_DIR": "Maildir of the development mailbox page (never in production)",
    "REFERRAL_NOTIFY_ALERT_EVERY_FAILURE": "alert administrators of every failed e-mail, not "
                                           "once per outage",
    "REFERRAL_PUBLIC_BASE_URL": "the same as `PUBLIC_BASE_URL`",
    "REFERRAL_DEMO_ALLOWED": "allow `flask seed-demo`",
    "REFERRAL_SECOND_FACTOR_ROLES": "roles that must have a second factor: role names, "
                                    "`case_readers`, `all` or `none` (docs/second-factor.md)",
    "REFERRAL_SECOND_FACTOR_LOGIN_TIMEOUT": "time allowed between the password and the factor",
    "REFERRAL_WEBAUTHN_RP_ID": "passkeys' relying party id; empty: `PUBLIC_BASE_URL`'s host",
    "REFERRAL_WEBAUTHN_ORIGIN": "passkeys' origin; empty: `PUBLIC_BASE_URL`'s origin",
    "REFERRAL_RATELIMIT_STORAGE_URI": "where rate-limit counters live",
    "REFERRAL_EMERGENCY_ACCESS_DURATION": "how long emergency (break-the-glass) read access "
                                          "lasts",
    "REFERRAL_REFERRAL_DEADLINES": "hours to accept a referral per urgency, JSON",
    "REFERRAL_CASE_LIST_COUNT_CAP": "the case list counts up to this many rows, then pages on",
    "REFERRAL_MAX_CONTENT_LENGTH": "largest request body in bytes",
    "REFERRAL_RISK_MEDIUM_FROM": "\"yes\" answers from which a risk assessment is medium "
                                 "(unset: the instrument's)",
    "REFERRAL_RISK_HIGH_FROM": "\"yes\" answers from which it is high (unset: the "
                               "instrument's)",
    "REFERRAL_RISK_GROUP_HIGH_FROM": "answers in a danger group that make it high (unset: the "
                                     "instrument's; 0: off)",
    "REFERRAL_COORDINATION_DUE_SOON_HOURS": "review: a deadline within this many hours is "
                                            "\"about to expire\"",
    "REFERRAL_COORDINATION_NO_PROGRESS_DAYS": "review: accepted with no progress for this many "
                                              "days",
    "REFERRAL_COORDINATION_MEASURE_ENDING_DAYS": "review: a protective measure ends within "
                                                 "this many days",
    "REFERRAL_COORDINATION_FOLLOW_UP_DAYS": "review: a referral sent this close to the end is "
                                            "follow-up",
    "REFERRAL_COORDINATION_REVIEW_ROWS": "rows per section of the review's overview",
    "REFERRAL_COORDINATION_REVIEW_SECTION_ROWS": "rows of a section opened on its own",
    "REFERRAL_COORDINATION_FIGURES_CACHE_SECONDS": "how long a region's figures are kept; 0: "
                                                   "computed each time",
    "REFERRAL_NOTIFY_MAX_ATTEMPTS": "tries of one e-mail before it is failed",
    "REFERRAL_NOTIFY_RETRY_BASE_SECONDS": "first retry delay (doubles, with jitter)",
    "REFERRAL_NOTIFY_RETRY_CAP_SECONDS": "longest retry delay",
    "REFERRAL_NOTIFY_REQUEUE_AFTER_SECONDS": "a delivery nobody picked up this long is sent "
                                             "to the broker again",
    "REFERRAL_NOTIFY_CLAIM_TIMEOUT_SECONDS": "a delivery claimed by a worker that died is "
                                             "released after this long",
    "REFERRAL_NOTIFY_SMTP_TIMEOUT_SECONDS": "SMTP connection timeout",
    "REFERRAL_NOTIFY_PUBLISH_BATCH": "outbox rows published per batch",
    "REFERRAL_NOTIFY_PENDING_THRESHOLDS": "reminders at these percentages of a referral's "
                                          "deadline",
    "REFERRAL_NOTIFY_NO_PROGRESS_DAYS": "remind when an accepted referral has no progress "
                                        "this many days",
    "REFERRAL_NOTIFY_MEASURE_ENDING_DAYS": "remind this many days before a protective measure "
                                           "ends",
    "REFERRAL_NOTIFY_HIGH_RISK_UNACCEPTED_HOURS": "escalate a high-risk case no agency took up "
                                                  "after this many hours",
    "REFERRAL_NOTIFY_DIGEST_HOUR": "local hour of the daily digest",
    "REFERRAL_NOTIFY_DIGEST_TIMEZONE": "time zone of that hour",
    "REFERRAL_REMINDER_SWEEP_SECONDS": "how often beat runs the reminder sweep",
    "REFERRAL_HEALTH_BEAT_MAX_AGE": "beat heartbeat older than this: `/health` says degraded, "
                                    "`flask ops beat-alive` fails",
    "REFERRAL_HEALTH_OUTBOX_MAX_AGE": "oldest unsent e-mail older than this: `/health` says "
                                      "degraded",
    "REFERRAL_CHECK_MIGRATIONS": "refuse to start against a database behind the code's "
                                 "migrations",
    "REFERRAL_BACKUP_KEY": "base64 of 32 random bytes: backups are encrypted with it; keep a "
                           "copy away from the backups",
    "REFERRAL_BACKUP_DIR": "where `flask backup` writes; empty: `<instance>/backups`",
    "REFERRAL_LOG_FORMAT": "log lines on stdout: `json` or `text`",
    "REFERRAL_LOG_LEVEL": "least level logged",
    "REFERRAL_RETENTION_MONTHS": "retention periods overriding the shipped ones: JSON of kind "
                                 "code to months after the case closed",
    "REFERRAL_DOCUMENTS_KEY": "base64 of 32 random bytes: the master key wrapping each "
                              "document's own key. Production refuses to start without one. "
                              "To change it: the old key into `REFERRAL_DOCUMENTS_OLD_KEYS`, "
                              "the new one here, then `flask documents rotate-key`",
    "REFERRAL_DOCUMENTS_OLD_KEYS": "earlier master keys, separated by commas, still read until "
                                   "`flask documents rotate-key` has re-wrapped every document "
                                   "key; empty afterwards",
    "REFERRAL_DOCUMENTS_STORE": "where encrypted documents are kept: `file` (a folder) or "
                                "`s3` (S3-compatible object storage, e.g. MinIO)",
    "REFERRAL_DOCUMENTS_DIR": "the folder of the `file` store; empty: `<instance>/documents`",
    "REFERRAL_DOCUMENTS_S3_ENDPOINT": "URL of the S3 API (MinIO: `http://minio:9000`); empty: "
                                      "AWS",
    "REFERRAL_DOCUMENTS_S3_BUCKET": "bucket of the `s3` store (created when missing)",
    "REFERRAL_DOCUMENTS_S3_ACCESS_KEY": "access key of the `s3` store",
    "REFERRAL_DOCUMENTS_S3_SECRET_KEY": "secret key of the `s3` store",
    "REFERRAL_DOCUMENTS_S3_REGION": "region of the `s3` store",
    "REFERRAL_DOCUMENTS_MAX_MB": "largest document a user may attach, in megabytes (per file)",
    "REFERRAL_API_TOKEN_MAX_DAYS": "longest lifetime of an API token, in days (the form offers "
                                   "90 by default)",
    "REFERRAL_API_RATE_LIMIT": "API calls allowed per token, e.g. `600/minute` or "
                               "`600/minute;10000/hour`; more answer 429 with Retry-After",
    "REFERRAL_WEBHOOKS_RETRY_SCHEDULE": "seconds before each webhook retry; a delivery is "
                                        "given up after the last",
    "REFERRAL_WEBHOOKS_TIMEOUT_SECONDS": "how long one webhook POST may take",
    "REFERRAL_WEBHOOKS_DISABLE_AFTER": "given-up deliveries in a row that disable an endpoint "
                                       "(its owner is told)",
    "REFERRAL_WEBHOOKS_DISABLE_AFTER_DAYS": "or days an endpoint may fail without a success",
    "REFERRAL_WEBHOOKS_REQUEUE_AFTER_SECONDS": "a webhook delivery nobody took (or whose worker "
                                               "died) this long ago is handed on again",
    "REFERRAL_WEBHOOKS_ALLOW_HTTP_LOCALHOST": "allow plain `http://` endpoints on this machine "
                                              "(localhost, 127.0.0.1)",
    "REFERRAL_WEBHOOKS_ALLOW_PRIVATE": "allow endpoints that resolve to private, loopback or "
                                       "link-local addresses (off: no SSRF into your network)",
    # Read before the app exists, or by tools.
    "REFERRAL_ENV": "`development`, `production` or `testing`",
    "REFERRAL_INSTANCE_PATH": "folder of SQLite files, the beat schedule, default backups",
    "REFERRAL_DEV_MAILBOX": "`off`: `make run` starts no development mailbox",
    "REFERRAL_REQUIRE_SERVICES": "tests: a skipped PostgreSQL, Redis or browser test fails",
}

# Defaults the code computes at start-up rather than keeps as a value.
COMPUTED: dict[str, str] = {
    "SECRET_KEY": "a development key; production: none, required",
    "REFERRAL_SECRET_KEY": "a development key; production: none, required",
    "DATABASE_URL": "SQLite in the instance folder",
    "REDIS_URL": "none: SQLite broker",
    "REFERRAL_CELERY_BROKER_URL": "`REDIS_URL`, else SQLite",
    "REFERRAL_RATELIMIT_STORAGE_URI": "`REDIS_URL`, else memory",
    "REFERRAL_CASE_LIST_COUNT_CAP": "1000",
    "REFERRAL_MAX_CONTENT_LENGTH": "1048576",
    "REFERRAL_RISK_MEDIUM_FROM": "instrument's",
    "REFERRAL_RISK_HIGH_FROM": "instrument's",
    "REFERRAL_RISK_GROUP_HIGH_FROM": "instrument's",
    "REFERRAL_REMINDER_SWEEP_SECONDS": "60",
    "REFERRAL_RETENTION_MONTHS": "`{}`: referral/data/retention.json",
    "REFERRAL_DOCUMENTS_KEY": "derived from `SECRET_KEY`; production: none, required",
    "REFERRAL_ENV": "development",
    "REFERRAL_INSTANCE_PATH": "`instance/`; image: `/var/lib/referral`",
    "REFERRAL_DEV_MAILBOX": "on",
    "REFERRAL_REQUIRE_SERVICES": "off",
    "REFERRAL_WEBHOOKS_ALLOW_HTTP_LOCALHOST": "on; production off",
    "REFERRAL_WEBHOOKS_ALLOW_PRIVATE": "off; tests on",
}


def _module_defaults() -> dict[str, Any]:
    from referral.coordination.service.review import DEFAULTS as review_defaults
    from referral.coordination.stats import cache as figures_cache
    from referral.notifications.config import DEFAULTS as notify_defaults
    from referral.webhooks.config import DEFAULTS as webhook_defaults

    return {**notify_defaults, **review_defaults, **webhook_defaults,
            figures_cache.SETTING: figures_cache.DEFAULT_SECONDS}


def _shown(setting: Setting, value: Any) -> str:
    """A value as the variable would be written."""
    if value is None or value == "":
        return "empty"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, timedelta):
        unit = setting.kind.unit if isinstance(setting.kind, Duration) else 1
        text = str(int(value.total_seconds()) // unit)
    elif isinstance(value, list | tuple):
        text = ",".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps({k: (int(v.total_seconds() // 3600) if isinstance(v, timedelta) else v)
                           for k, v in value.items()})
    else:
        text = str(value)
    return f"`{text}`"


def _default(setting: Setting) -> str:
    if setting.variable in COMPUTED:
        return COMPUTED[setting.variable]
    if setting.default is not INHERIT:
        return _shown(setting, setting.default)
    dev = getattr(config_module.Config, setting.key, INHERIT)
    if dev is INHERIT:
        dev = _module_defaults().get(setting.key, INHERIT)
    if dev is INHERIT:
        return ""
    text = _shown(setting, dev)
    prod = getattr(config_module.ProductionConfig, setting.key, dev)
    if prod != dev:
        text += f"; production {_shown(setting, prod)}"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def rows() -> list[tuple[str, str, str, str]]:
    """(variable, value expected, default, meaning) for every variable the app reads."""
    out = [(s.variable, s.kind.expects, _default(s), MEANINGS.get(s.variable, ""))
           for s in SETTINGS]
    out += [(name, "text", COMPUTED.get(name, "empty"), MEANINGS.get(name, ""))
            for name in sorted(NOT_SETTINGS)]
    return out


def incomplete() -> list[str]:
    """Variables whose meaning or default this module does not know yet (write them above)."""
    return [f"{name}: {'meaning' if not meaning else 'default'}"
            for name, _, default, meaning in rows() if not meaning or not default]


def markdown() -> str:
    """The table, as it stands between the markers in docs/operations.md."""
    lines = ["| Variable | Value | Default | Meaning |", "|---|---|---|---|"]
    lines += [f"| `{name}` | {_cell(kind)} | {_cell(default)} | {_cell(meaning)} |"
              for name, kind, default, meaning in rows()]
    return "\n".join(lines) + "\n"


def replace_in(text: str) -> str:
    """``text`` with the part between the markers replaced by the table."""
    head, sep, rest = text.partition(START)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"markers {START} … {END} not found")
    return f"{head}{START}\n{markdown()}{END}{tail}"


def write(path: Path) -> bool:
    """Put the table into ``path``; True when it changed."""
    old = path.read_text(encoding="utf-8")
    new = replace_in(old)
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old
