"""Referral: interagency referrals for families at risk of domestic violence."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from referral import settings
from referral.config import (
    CONFIGS,
    check_production_config,
    default_sqlite_url,
    environment_overrides,
    normalise_database_url,
)
from referral.paths import INSTANCE_DIR, TEMPLATES_DIR


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``test_config``, then the environment."""
    use_packaged_tzdata()
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES_DIR),
        instance_path=os.environ.get("REFERRAL_INSTANCE_PATH") or str(INSTANCE_DIR),
    )
    # A command that must open another database as the app (restore's verification) builds a
    # sibling app through this, without importing the wiring it sits below.
    app.extensions["referral.create_app"] = create_app
    env_name = (test_config or {}).get("ENV_NAME") or settings.environment_name(os.environ)
    app.config.from_object(CONFIGS[env_name])
    if test_config:
        app.config.update(test_config)
    else:
        # Every variable parsed by its type (referral/settings.py); a bad one stops here.
        app.config.update(environment_overrides(os.environ))
        app.config.update(settings.prefixed_overrides(os.environ))
    settings.apply_defaults(app.config)
    _finish_config(app)
    settings.check_config(app.config)
    check_production_config(app.config)
    from referral.documents.crypto import require_production_key

    require_production_key(app.config)  # every stored document's key: never a default one

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from referral.accounts.ratelimit import init_rate_limits
    from referral.web import register

    init_rate_limits(app)
    register(app)
    from referral.backup.upgrade import check_migrations

    check_migrations(app)  # the web server only: commands (flask db upgrade) are left alone
    return app


def use_packaged_tzdata() -> None:
    """Read time zones from the tzdata package (a pinned dependency), never the system's.

    zoneinfo looks in the system's files first; an image built before 2024 would then show
    Kazakhstan's times an hour off (one zone, UTC+5, since 1 March 2024).
    """
    import zoneinfo

    if zoneinfo.TZPATH:
        zoneinfo.reset_tzpath(to=())
        zoneinfo.ZoneInfo.clear_cache()


def _finish_config(app: Flask) -> None:
    cfg = app.config
    url = cfg.get("SQLALCHEMY_DATABASE_URI") or default_sqlite_url(app.instance_path)
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and not cfg["POSTGRES_JIT"]:
        # Short queries that PostgreSQL merely estimates as costly would pay 11-68 ms of JIT
        # compilation each; a libpq start-up option, no statement.
        options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args["options"] = f"{connect_args.get('options', '')} -c jit=off".strip()
        options["connect_args"] = connect_args
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and ":memory:" not in url:
        # Each writer waiting for its turn holds its connection (referral/web/database.py): a
        # capped pool (5 + 10) ran out at 32 users (bench/stack_load.py). An SQLite connection is
        # an open file, so as many as there are request threads.
        options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        if "poolclass" not in options:
            options.setdefault("max_overflow", -1)
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not cfg.get("CELERY_BROKER_URL"):
        cfg["CELERY_BROKER_URL"] = cfg.get("REDIS_URL") or (
            f"sqla+sqlite:///{Path(app.instance_path) / 'broker.sqlite'}"
        )
    cfg["PERMANENT_SESSION_LIFETIME"] = cfg["SESSION_ABSOLUTE_LIFETIME"]
    from referral.replica import finish_replica_config

    finish_replica_config(cfg)
