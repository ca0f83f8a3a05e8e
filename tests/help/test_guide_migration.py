"""Migration 0025 on existing users, SQLite and PostgreSQL: those who logged in before keep
landing on their home page (their guide counts as seen); those who never did meet the guide."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from referral import create_app
from tests.conftest import base_config
from tests.test_migrations import _insert_minimal, _sqlite_at, scratch_postgres  # noqa: F401

LOGGED_IN = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def _check(db: Any) -> None:
    with db.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, guide_seen_at FROM users ORDER BY id")).all())
    assert rows[2] is None  # never logged in: the guide waits for the first login
    seen = rows[1]
    seen = datetime.fromisoformat(seen).replace(tzinfo=UTC) if isinstance(seen, str) else seen
    assert seen == LOGGED_IN


def test_0025_on_sqlite(tmp_path: Path) -> None:
    with _sqlite_at(tmp_path, "0024") as (db, raw):
        with raw:
            _insert_minimal(raw, "agencies", {"id": 1, "name": "A", "region_code": "KZ-75"})
            _insert_minimal(raw, "users", {"id": 1, "email": "a@test.example.org",
                                           "agency_id": 1, "last_login_at":
                                           LOGGED_IN.strftime("%Y-%m-%d %H:%M:%S.%f")})
            _insert_minimal(raw, "users", {"id": 2, "email": "b@test.example.org",
                                           "agency_id": 1})
        upgrade(revision="0025")
        _check(db)
        downgrade(revision="0024")
        upgrade(revision="0025")


@pytest.mark.postgres
def test_0025_on_postgres(scratch_postgres: str) -> None:  # noqa: F811
    app = create_app(base_config(scratch_postgres))
    with app.app_context():
        from referral.extensions import db

        upgrade(revision="0024")
        engine = create_engine(scratch_postgres)
        with engine.begin() as conn:
            conn.execute(text("SET session_replication_role = replica"))
            for i, last in ((1, LOGGED_IN), (2, None)):
                conn.execute(text(
                    "INSERT INTO users (id, email, full_name, agency_id, role, "
                    "must_change_password, is_active, phone, created_at, last_login_at, version) "
                    "VALUES (:id, :email, 'X', 1, 'officer', false, true, '', :now, :last, 1)"),
                    {"id": i, "email": f"u{i}@test.example.org", "now": LOGGED_IN, "last": last})
        engine.dispose()
        upgrade(revision="0025")
        _check(db)
        db.session.remove()
        db.engine.dispose()
