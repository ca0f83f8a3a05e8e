"""Migrations: an empty database upgrades to head, matches the models, downgrades and upgrades.

PostgreSQL runs in a throw-away database created here (never the suite's own database).
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, insert, inspect, text
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
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, prev_hash, row_hash FROM audit_chain_head")
                                ).all() == [(1, "0" * 64, "0" * 64)]
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


def _insert_minimal(conn: sqlite3.Connection, table: str, values: dict[str, Any]) -> None:
    """A row with ``values`` and a placeholder in every other NOT NULL column (FKs are off)."""
    row = dict(values)
    for _cid, name, kind, notnull, _default, pk in conn.execute(f"PRAGMA table_info({table})"):
        if notnull and name not in row and not pk:
            kind = str(kind).upper()
            row[name] = (1 if "INT" in kind or "BOOL" in kind
                         else "2026-01-01 00:00:00.000000" if "DATETIME" in kind else "x")
    marks = ", ".join(f":{name}" for name in row)
    conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})", row)


@contextmanager
def _sqlite_at(tmp_path: Path, revision: str) -> Iterator[tuple[Any, sqlite3.Connection]]:
    """An SQLite database migrated up to ``revision`` (in an app context) and a raw connection
    to it, foreign keys off, to put in the rows a data migration must carry over."""
    path = tmp_path / "data.sqlite"
    app = create_app(base_config(f"sqlite:///{path}"))
    with app.app_context():
        from referral.extensions import db

        upgrade(revision=revision)
        db.engine.dispose()
        raw = sqlite3.connect(path)
        try:
            yield db, raw
        finally:
            raw.close()
            db.session.remove()
            db.engine.dispose()


def test_0007_copies_each_case_region_onto_its_existing_referrals(tmp_path: Path) -> None:
    with _sqlite_at(tmp_path, "0006") as (db, raw):
        with raw:
            _insert_minimal(raw, "cases", {"id": 1, "region_code": "KZ-75", "reference": "a"})
            _insert_minimal(raw, "cases", {"id": 2, "region_code": "KZ-43", "reference": "b"})
            for referral_id, case_id in ((10, 1), (11, 2), (12, 2)):
                _insert_minimal(raw, "referrals", {"id": referral_id, "case_id": case_id,
                                                   "idempotency_key": f"k{referral_id}"})
                _insert_minimal(raw, "referral_history", {"referral_id": referral_id,
                                                          "case_id": case_id})
        upgrade()
        with db.engine.connect() as conn:
            copied = dict(conn.execute(text("SELECT id, region_code FROM referrals")).all())
        assert copied == {10: "KZ-75", 11: "KZ-43", 12: "KZ-43"}


def _index_names(table: str) -> set[str]:
    from referral.extensions import db

    return {index["name"] for index in inspect(db.engine).get_indexes(table)}


def test_0008_adds_and_removes_the_case_index_keeping_rows(tmp_path: Path) -> None:
    with _sqlite_at(tmp_path, "0007") as (db, raw):
        with raw:
            _insert_minimal(raw, "cases", {"id": 1, "region_code": "KZ-75", "reference": "a"})
        upgrade()
        assert "ix_cases_region_created" in _index_names("cases")
        assert "ix_referrals_region_sent" in _index_names("referrals")
        downgrade(revision="0007")
        assert "ix_cases_region_created" not in _index_names("cases")
        assert "ix_referrals_region_sent" in _index_names("referrals")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM cases")).scalar() == 1


def _index_definitions(*names: str) -> dict[str, str]:
    """PostgreSQL's definition of each named index that exists."""
    from referral.extensions import db

    with db.engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:names)"),
            {"names": list(names)}).all())


@pytest.mark.postgres
def test_0008_covering_indexes_up_and_down(scratch_postgres: str) -> None:
    app = create_app(base_config(scratch_postgres))

    def definitions() -> dict[str, str]:
        return _index_definitions("ix_referrals_region_sent", "ix_cases_region_created")

    with app.app_context():
        from referral.extensions import db

        upgrade(revision="0008")
        found = definitions()
        assert found["ix_referrals_region_sent"].endswith(
            "(region_code, sent_at) INCLUDE (case_id, receiver_agency_id, status, accepted_at, "
            "deadline_at, decline_reason, outcome, service_code)")
        assert found["ix_cases_region_created"].endswith(
            "(region_code, created_at) INCLUDE (id, district_id, restricted, risk_level)")
        downgrade(revision="0007")
        found = definitions()
        assert found["ix_referrals_region_sent"].endswith("(region_code, sent_at)")
        assert "ix_cases_region_created" not in found
        upgrade()
        _assert_models_match(app)
        assert "INCLUDE" in definitions()["ix_referrals_region_sent"]
        db.session.remove()
        db.engine.dispose()


def _chained_audit_rows(count: int) -> list[dict[str, Any]]:
    """Rows as the code before revision 0010 chained them (the hash has not changed)."""
    from referral.audit.verify import GENESIS, HASHED, canonical_values

    rows, prev = [], GENESIS
    for n in range(count):
        row = {"created_at": datetime(2026, 1, 1, 12, n, tzinfo=UTC), "actor_user_id": None,
               "actor_agency_id": None, "action": "test.old", "object_type": "thing",
               "object_id": str(n), "outcome": "success", "source_ip": None,
               "details": {"n": n, "text": "Қазақ"}, "prev_hash": prev}
        row["row_hash"] = prev = hashlib.sha256(
            canonical_values([row[name] for name in HASHED])).hexdigest()
        rows.append(row)
    return rows


def _0010_continues_an_existing_chain(url: str) -> None:
    app = create_app(base_config(url))
    with app.app_context():
        from referral.access.scope import acting_as, system_actor
        from referral.audit import service as audit
        from referral.audit.models import AuditEvent
        from referral.extensions import db

        upgrade(revision="0009")
        rows = _chained_audit_rows(3)
        with db.engine.begin() as conn:
            conn.execute(insert(AuditEvent.__table__), rows)
        upgrade()
        with db.engine.connect() as conn:
            head = conn.execute(text("SELECT prev_hash, row_hash FROM audit_chain_head")).all()
        assert head == [(rows[-1]["prev_hash"], rows[-1]["row_hash"])]
        with acting_as(system_actor("test")):
            audit.record("test.new")
        db.session.commit()
        report = audit.verify_chain()
        assert report.ok and report.rows_checked == 4
        db.session.remove()
        downgrade(revision="0009")
        assert "audit_chain_head" not in _tables(app)
        assert "audit_events" in _tables(app)
        db.engine.dispose()


def test_0010_seeds_the_chain_head_from_the_newest_row_sqlite(tmp_path: Path) -> None:
    _0010_continues_an_existing_chain(f"sqlite:///{tmp_path / 'chain.sqlite'}")


@pytest.mark.postgres
def test_0010_seeds_the_chain_head_from_the_newest_row_postgres(scratch_postgres: str) -> None:
    _0010_continues_an_existing_chain(scratch_postgres)


def test_0011_marks_the_referrals_of_closed_cases_and_follows_later_changes(
        tmp_path: Path) -> None:
    with _sqlite_at(tmp_path, "0010") as (db, raw):
        with raw:
            for case_id, status in ((1, "closed"), (2, "open"), (3, "monitoring")):
                _insert_minimal(raw, "cases", {"id": case_id, "status": status,
                                               "reference": f"c{case_id}"})
            for referral_id, case_id in ((10, 1), (11, 1), (12, 2), (13, 3)):
                _insert_minimal(raw, "referrals", {"id": referral_id, "case_id": case_id,
                                                   "idempotency_key": f"k{referral_id}"})
        upgrade()

        def flags() -> dict[int, bool]:
            with db.engine.connect() as conn:
                return {i: bool(v) for i, v in conn.execute(
                    text("SELECT id, case_closed FROM referrals ORDER BY id"))}

        assert flags() == {10: True, 11: True, 12: False, 13: False}
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE cases SET status = 'open' WHERE id = 1"))
            conn.execute(text("UPDATE cases SET status = 'closed' WHERE id = 3"))
        assert flags() == {10: False, 11: False, 12: False, 13: True}
        downgrade(revision="0010")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("referrals")}
            triggers = conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
        assert "case_closed" not in columns
        assert "cases_closed_to_referrals" not in triggers
        assert "ix_referrals_region_overdue" not in _index_names("referrals")
        with db.engine.begin() as conn:  # the cases table still updates without the trigger
            conn.execute(text("UPDATE cases SET status = 'closed' WHERE id = 2"))


def test_0013_copies_each_case_place_onto_its_incidents_and_referrals(tmp_path: Path) -> None:
    with _sqlite_at(tmp_path, "0012") as (db, raw):
        with raw:
            _insert_minimal(raw, "cases", {"id": 1, "region_code": "KZ-75", "district_id": 7,
                                           "reference": "a"})
            _insert_minimal(raw, "cases", {"id": 2, "region_code": "KZ-43", "district_id": None,
                                           "reference": "b"})
            for row_id, case_id in ((10, 1), (11, 2), (12, 2)):
                _insert_minimal(raw, "incidents", {"id": row_id, "case_id": case_id})
                _insert_minimal(raw, "referrals", {"id": row_id, "case_id": case_id,
                                                   "region_code": "KZ-00",
                                                   "idempotency_key": f"k{row_id}"})
        upgrade()
        with db.engine.connect() as conn:
            incidents = {r.id: (r.region_code, r.district_id) for r in conn.execute(text(
                "SELECT id, region_code, district_id FROM incidents"))}
            referrals = {r.id: (r.region_code, r.district_id) for r in conn.execute(text(
                "SELECT id, region_code, district_id FROM referrals"))}
        assert incidents == {10: ("KZ-75", 7), 11: ("KZ-43", None), 12: ("KZ-43", None)}
        # the referral's region is 0007's copy, left as it was; the district is new
        assert referrals == {10: ("KZ-00", 7), 11: ("KZ-00", None), 12: ("KZ-00", None)}
        assert "ix_incidents_region_occurred" in _index_names("incidents")
        downgrade(revision="0012")
        assert "ix_incidents_region_occurred" not in _index_names("incidents")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM incidents")).scalar() == 3


@pytest.mark.postgres
def test_0013_covering_indexes_up_and_down(scratch_postgres: str) -> None:
    app = create_app(base_config(scratch_postgres))

    def definitions() -> dict[str, str]:
        return _index_definitions("ix_referrals_region_sent", "ix_incidents_region_occurred")

    with app.app_context():
        from referral.extensions import db

        upgrade(revision="0013")
        found = definitions()
        assert found["ix_referrals_region_sent"].endswith(
            "(region_code, sent_at) INCLUDE (case_id, receiver_agency_id, status, accepted_at, "
            "deadline_at, decline_reason, outcome, service_code, district_id)")
        assert found["ix_incidents_region_occurred"].endswith(
            "(region_code, occurred_at) INCLUDE (district_id, case_id, physical, psychological, "
            "sexual, economic, offence_id)")
        downgrade(revision="0012")
        found = definitions()
        assert found["ix_referrals_region_sent"].endswith("outcome, service_code)")
        assert "ix_incidents_region_occurred" not in found
        upgrade()
        _assert_models_match(app)
        db.session.remove()
        db.engine.dispose()


def _new_index_round_trip(url: str, name: str, definition_end: str, previous: str) -> None:
    """A migration that adds one index: at head it has this definition, one revision down it
    is gone, and back at head the schema matches the models."""
    app = create_app(base_config(url))
    with app.app_context():
        from referral.extensions import db

        upgrade()
        assert _index_definitions(name)[name].endswith(definition_end)
        downgrade(revision=previous)
        assert _index_definitions(name) == {}
        upgrade()
        _assert_models_match(app)
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
def test_0014_risk_order_index_up_and_down(scratch_postgres: str) -> None:
    _new_index_round_trip(
        scratch_postgres, "ix_cases_region_risk_order",
        "(region_code, high_risk_flagged_at DESC NULLS LAST, created_at DESC, id DESC)", "0013")


def test_0015_marks_cases_taken_up_and_follows_later_moves(tmp_path: Path) -> None:
    with _sqlite_at(tmp_path, "0014") as (db, raw):
        with raw:
            for case_id in (1, 2, 3):
                _insert_minimal(raw, "cases", {"id": case_id, "reference": f"c{case_id}"})
            for row_id, case_id, status in ((10, 1, "accepted"), (11, 2, "sent"),
                                            (12, 2, "declined")):
                _insert_minimal(raw, "referrals", {"id": row_id, "case_id": case_id,
                                                   "status": status,
                                                   "idempotency_key": f"k{row_id}"})
        upgrade()

        def flags() -> dict[int, bool]:
            with db.engine.connect() as conn:
                return {r.id: bool(r.referral_accepted) for r in conn.execute(text(
                    "SELECT id, referral_accepted FROM cases ORDER BY id"))}

        def run(sql: str) -> None:
            with db.engine.begin() as conn:
                conn.execute(text(sql))

        assert flags() == {1: True, 2: False, 3: False}
        run("UPDATE referrals SET status = 'in_progress' WHERE id = 11")
        run("UPDATE referrals SET status = 'failed' WHERE id = 10")
        assert flags() == {1: False, 2: True, 3: False}
        run("UPDATE referrals SET case_id = 3 WHERE id = 11")  # moved to another case
        assert flags() == {1: False, 2: False, 3: True}
        run("UPDATE referrals SET status = 'completed' WHERE id = 11")  # still taken up
        run("DELETE FROM referrals WHERE id = 11")
        assert flags() == {1: False, 2: False, 3: False}
        assert "ix_cases_high_risk_unaccepted" in _index_names("cases")
        downgrade(revision="0014")
        assert "ix_cases_high_risk_unaccepted" not in _index_names("cases")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM cases")).scalar() == 3
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
def test_0016_region_high_risk_unaccepted_up_and_down(scratch_postgres: str) -> None:
    _new_index_round_trip(
        scratch_postgres, "ix_cases_region_high_risk_unaccepted",
        "(region_code, high_risk_flagged_at, id) WHERE (((risk_level)::text = 'high'::text) "
        "AND ((status)::text <> 'closed'::text) AND (NOT referral_accepted))", "0015")


def test_0016_region_high_risk_unaccepted_sqlite(tmp_path: Path) -> None:
    with _sqlite_at(tmp_path, "0015") as (db, _raw):
        assert "ix_cases_region_high_risk_unaccepted" not in _index_names("cases")
        upgrade()
        assert "ix_cases_region_high_risk_unaccepted" in _index_names("cases")
        downgrade(revision="0015")
        assert "ix_cases_region_high_risk_unaccepted" not in _index_names("cases")
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
def test_0017_0018_referral_flag_and_review_indexes_up_and_down(scratch_postgres: str) -> None:
    app = create_app(base_config(scratch_postgres))
    names = ("ix_referrals_region_overdue", "ix_referrals_region_stalled",
             "ix_referrals_region_sent")
    with app.app_context():
        from referral.extensions import db

        upgrade()
        found = _index_definitions(*names)
        assert found["ix_referrals_region_overdue"].endswith(
            "WHERE (((status)::text = ANY ((ARRAY['expired'::character varying, "
            "'sent'::character varying])::text[])) AND (NOT case_closed))")
        assert "(region_code, status, deadline_at, id) INCLUDE (reference, case_id" in \
            found["ix_referrals_region_overdue"]
        assert "case_restricted, district_id)" in found["ix_referrals_region_stalled"]
        assert "district_id, case_restricted)" in found["ix_referrals_region_sent"]
        with db.engine.connect() as conn:
            triggers = set(conn.execute(text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())
        assert {"cases_restricted_to_referrals", "referrals_case_restricted"} <= triggers
        downgrade(revision="0016")
        found = _index_definitions(*names)
        assert "INCLUDE" not in found["ix_referrals_region_overdue"]
        assert "INCLUDE" not in found["ix_referrals_region_stalled"]
        assert found["ix_referrals_region_sent"].endswith("service_code, district_id)")
        with db.engine.connect() as conn:
            assert not conn.execute(text(
                "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%case_restricted%'")).scalar()
            columns = set(conn.execute(text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'referrals'")).scalars())
        assert "case_restricted" not in columns
        upgrade()
        _assert_models_match(app)
        db.session.remove()
        db.engine.dispose()


def test_0017_copies_each_case_restriction_onto_its_referrals_sqlite(tmp_path: Path) -> None:
    with _sqlite_at(tmp_path, "0016") as (db, raw):
        with raw:
            for case_id, restricted in ((1, 1), (2, 0)):
                _insert_minimal(raw, "cases", {"id": case_id, "reference": f"c{case_id}",
                                               "restricted": restricted})
            for row_id, case_id in ((10, 1), (11, 2)):
                _insert_minimal(raw, "referrals", {"id": row_id, "case_id": case_id,
                                                   "idempotency_key": f"k{row_id}"})
        upgrade()

        def flags() -> dict[int, int]:
            with db.engine.connect() as conn:
                return dict(conn.execute(text(
                    "SELECT id, case_restricted FROM referrals ORDER BY id")).all())

        assert flags() == {10: 1, 11: 0}  # back-filled
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE cases SET restricted = 1 WHERE id = 2"))
        assert flags() == {10: 1, 11: 1}
        downgrade(revision="0016")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM referrals")).scalar() == 2
        assert "ix_referrals_region_overdue" in _index_names("referrals")
        db.session.remove()
        db.engine.dispose()
