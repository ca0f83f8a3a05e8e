"""Migrations: an empty database upgrades to head, matches the models, downgrades and upgrades.

PostgreSQL runs in a throw-away database created here (never the suite's own database).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from referral import create_app
from tests.conftest import TEST_DATABASE_URL, base_config


def _differences(app: Flask) -> list:
    from referral.extensions import db
    from referral.models import all_models

    all_models()
    options = dict(app.extensions["migrate"].configure_args)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=options)
        return compare_metadata(context, db.metadata)


def _assert_models_match(app: Flask) -> None:
    diffs = _differences(app)
    described = [f"{d[0]} {getattr(d[1], 'name', d[1])}" if isinstance(d, tuple) else repr(d)
                 for d in diffs]
    assert diffs == [], "models and migrations disagree (declare it in the model): " + "; ".join(
        described)


def _tables(app: Flask) -> set[str]:
    from referral.extensions import db

    return set(inspect(db.engine).get_table_names())


def _round_trip(app: Flask) -> None:
    from referral.extensions import db

    with app.app_context():
        upgrade()
        assert {"users", "agencies", "audit_events", "user_sessions", "cases"} <= _tables(app)
        _assert_models_match(app)
        downgrade(revision="base")
        assert _tables(app) <= {"alembic_version"}
        upgrade()
        _assert_models_match(app)
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO audit_events (created_at, action, outcome, prev_hash, row_hash) "
                "VALUES (CURRENT_TIMESTAMP, 'x', 'success', 'p', 'r')"))
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events"))
        db.session.remove()
        db.engine.dispose()


def test_sqlite_upgrade_compare_downgrade_upgrade(tmp_path: Path) -> None:
    app = create_app(base_config(f"sqlite:///{tmp_path / 'fresh.sqlite'}"))
    _round_trip(app)


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    url = make_url(TEST_DATABASE_URL)
    name = f"test_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_postgres_upgrade_compare_downgrade_upgrade(scratch_postgres: str) -> None:
    app = create_app(base_config(scratch_postgres))
    _round_trip(app)
    with app.app_context():
        from referral.extensions import db

        with db.engine.connect() as conn:
            triggers = conn.execute(text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars().all()
        assert "audit_events_no_update" in triggers
        db.engine.dispose()
