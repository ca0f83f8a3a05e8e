"""Migration 0020: assessments made before the instrument had versions keep their stored level
and are marked with the first instrument's version, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from referral import create_app
from tests.conftest import base_config
from tests.test_migrations import (
    _insert_minimal,
    scratch_postgres,  # noqa: F401 - a fixture used below
)

# Two assessments of the count-only instrument: a "medium" by count and a "high" by judgement.
# The first had strangulation and a threat to kill: it stays "medium", as it was given.
_ANSWERS = {"strangulation": {"answer": "yes", "comment": ""},
            "threat_to_kill": {"answer": "yes", "comment": ""},
            "escalation": {"answer": "unknown", "comment": ""}}
_ROWS = [
    {"id": 1, "score": 11, "unknown_count": 1, "computed_level": "medium", "override_level": None,
     "override_reason": "", "level": "medium"},
    {"id": 2, "score": 3, "unknown_count": 0, "computed_level": "standard",
     "override_level": "high", "override_reason": "Stalking", "level": "high"},
]


def _insert_old_rows(execute) -> None:  # noqa: ANN001
    for row in _ROWS:
        execute((
            "INSERT INTO risk_assessments (id, case_id, answers, score, unknown_count, "
            "computed_level, override_level, override_reason, level, medium_from, high_from, "
            "assessed_by_id, agency_id, assessed_at) VALUES (:id, 1, :answers, :score, "
            ":unknown_count, :computed_level, :override_level, :override_reason, :level, 10, 14, "
            "1, 1, CURRENT_TIMESTAMP)"), {**row, "answers": json.dumps(_ANSWERS)})


def _migrated_rows(conn) -> dict[int, tuple]:  # noqa: ANN001
    rows = conn.execute(text(
        "SELECT id, level, computed_level, override_level, score, instrument_version, "
        "explanation, answers FROM risk_assessments ORDER BY id")).all()

    def load(value: object) -> object:
        return value if isinstance(value, dict) else json.loads(str(value))

    return {r.id: (r.level, r.computed_level, r.override_level, r.score, r.instrument_version,
                   load(r.explanation), load(r.answers)) for r in rows}


def _round_trip(url: str, *, postgres: bool) -> None:
    app = create_app(base_config(url))
    with app.app_context():
        from referral.cases import risk
        from referral.extensions import db

        upgrade(revision="0019")
        # Foreign keys off: the rows' case, user and agency are beside the point.
        if postgres:
            with db.engine.begin() as conn:
                conn.execute(text("SET session_replication_role = replica"))
                _insert_old_rows(lambda sql, values: conn.execute(text(sql), values))
        else:
            db.engine.dispose()
            raw = sqlite3.connect(url.removeprefix("sqlite:///"))
            with raw:  # the parents the table copy of SQLite's ALTER checks
                _insert_minimal(raw, "agencies", {"id": 1})
                _insert_minimal(raw, "users", {"id": 1, "email": "a@example.org"})
                _insert_minimal(raw, "cases", {"id": 1, "reference": "c1"})
                _insert_old_rows(raw.execute)
            raw.close()
        upgrade(revision="0020")
        with db.engine.connect() as conn:
            migrated = _migrated_rows(conn)
        assert migrated == {
            1: ("medium", "medium", None, 11, "2024-count", {}, _ANSWERS),
            2: ("high", "standard", "high", 3, "2024-count", {}, _ANSWERS),
        }
        assert risk.FIRST_VERSION == "2024-count" in risk.instruments()
        with db.engine.begin() as conn, pytest.raises(Exception, match="(?i)null"):
            conn.execute(text("UPDATE risk_assessments SET instrument_version = NULL"))
        downgrade(revision="0019")
        with db.engine.connect() as conn:
            assert dict(conn.execute(text("SELECT id, level FROM risk_assessments")).all()) == {
                1: "medium", 2: "high"}
        db.session.remove()
        db.engine.dispose()


def test_0020_marks_old_assessments_and_keeps_their_level_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'risk.sqlite'}", postgres=False)


@pytest.mark.postgres
def test_0020_marks_old_assessments_and_keeps_their_level_postgres(
        scratch_postgres: str) -> None:  # noqa: F811
    _round_trip(scratch_postgres, postgres=True)
