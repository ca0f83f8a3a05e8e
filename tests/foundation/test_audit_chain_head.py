"""The audit chain's head row: the database links each row (one statement on PostgreSQL) with
the same hash as before, writers queue on the head, and verify notices rows cut from the end."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from referral.access.scope import acting_as, system_actor
from referral.audit import service as audit
from referral.audit.verify import HEAD_MISMATCH, canonical_prefix, canonical_values
from referral.extensions import db
from tests.fixtures import fresh, recorded_statements, run_in_threads
from tests.foundation.test_foundation_audit import _events, triggers_dropped

AWKWARD: list[dict[str, Any] | None] = [
    None,
    {},
    {"name": "Қазақстан", "mark": "✓ ü ß", "emoji": "🙂", "sep": "\u2028", "quote": 'a "b" \\ c'},
    {"z": 1, "a": {"y": [1, 2.5, None, True, False], "b": {"deep": {"er": -0.1}}}, "m": None},
    {"big": 10**15, "neg": -42, "float": 0.1, "exp": 1e-7, "zero": 0.0, "list": []},
]


def _head() -> tuple[str, str] | None:
    row = db.session.execute(text("SELECT prev_hash, row_hash FROM audit_chain_head")).first()
    return None if row is None else tuple(row)


@pytest.mark.parametrize("details", AWKWARD)
def test_the_prefix_and_the_head_make_the_canonical_bytes(details):
    values = [datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC), 12, None, "case.view", "case",
              "77", "success", "10.0.0.1", details]
    prev = hashlib.sha256(b"previous").hexdigest()
    prefix = canonical_prefix(list(values))
    assert (prefix + '"' + prev + '"]').encode() == canonical_values([*values, prev])
    assert prefix.isascii()


def test_the_database_hashes_awkward_rows_as_compute_hash_does(ctx):
    with acting_as(system_actor("test")):
        written = [audit.record("test.awkward", object_type="thing", object_id=n, details=d)
                   for n, d in enumerate(AWKWARD)]
    db.session.commit()
    fresh()
    rows = _events()
    assert [r.id for r in rows] == [w.id for w in written]
    for row, done in zip(rows, written, strict=True):
        assert row.row_hash == done.row_hash == audit.compute_hash(row)
        assert row.prev_hash == done.prev_hash
    assert rows[0].prev_hash == audit.GENESIS
    assert _head() == (rows[-1].prev_hash, rows[-1].row_hash)
    report = audit.verify_chain()
    assert report.ok and report.rows_checked == len(AWKWARD)


@pytest.mark.postgres
def test_one_record_is_one_statement_on_postgres(ctx):
    with acting_as(system_actor("test")), recorded_statements() as found:
        audit.record("test.counted", object_type="case", object_id=1, details={"n": 1})
    assert len(found) == 1
    assert found[0].lstrip().startswith("WITH head AS")
    db.session.commit()
    assert audit.verify_chain().ok


def test_record_many_after_record_reuses_the_head_it_holds(ctx):
    with acting_as(system_actor("test")):
        audit.record("test.single")
        with recorded_statements() as found:
            audit.record_many([audit.AuditEntry("test.batch", object_id=n, details={"n": n})
                               for n in range(3)])
        audit.record("test.single")
    db.session.commit()
    assert len(found) == 2  # the rows (one executemany) and the head; no lock, no read
    fresh()
    assert [e.action for e in _events()] == ["test.single"] + ["test.batch"] * 3 + ["test.single"]
    report = audit.verify_chain()
    assert report.ok and report.rows_checked == 5


def test_a_rolled_back_savepoint_leaves_the_head_where_it_was(ctx):
    with acting_as(system_actor("test")):
        audit.record("test.kept")
        savepoint = db.session.begin_nested()
        audit.record_many([audit.AuditEntry("test.undone")])
        audit.record("test.undone")
        savepoint.rollback()
        audit.record_many([audit.AuditEntry("test.after")])
        audit.record("test.after")
        savepoint = db.session.begin_nested()
        audit.record("test.undone")
        savepoint.rollback()
        audit.record("test.last")
    db.session.commit()
    fresh()
    assert [e.action for e in _events()] == ["test.kept", "test.after", "test.after",
                                             "test.last"]
    report = audit.verify_chain()
    assert report.ok and report.rows_checked == 4


def test_a_released_savepoint_keeps_its_rows_in_the_chain(ctx):
    with acting_as(system_actor("test")):
        with db.session.begin_nested():
            audit.record_many([audit.AuditEntry("test.inner", object_id=n) for n in range(2)])
        audit.record_many([audit.AuditEntry("test.outer")])
    db.session.commit()
    report = audit.verify_chain()
    assert report.ok and report.rows_checked == 3


def test_a_refused_row_leaves_the_head_where_it_was(ctx):
    with acting_as(system_actor("test")):
        audit.record("test.kept")
        before = _head()
        with pytest.raises(IntegrityError):
            audit.record("test.refused", actor_user_id=987_654)  # no such user
        if db.engine.dialect.name == "postgresql":
            db.session.rollback()  # the failed statement ended the transaction there
        else:  # SQLite undid the statement only: the transaction and its head go on
            assert _head() == before
        audit.record("test.after")
    db.session.commit()
    fresh()
    assert [e.action for e in _events()][-1] == "test.after"
    assert audit.verify_chain().ok


def test_a_refused_row_in_a_batch_leaves_the_head_on_the_rows_kept(ctx):
    with acting_as(system_actor("test")):
        audit.record("test.kept")
        with pytest.raises(IntegrityError):
            audit.record_many([audit.AuditEntry("test.batch"), audit.AuditEntry(None),
                               audit.AuditEntry("test.batch")])  # the second: no action
        if db.engine.dialect.name == "postgresql":
            db.session.rollback()
        audit.record_many([audit.AuditEntry("test.after")])
    db.session.commit()
    fresh()
    assert [e.action for e in _events()][-1] == "test.after"
    assert audit.verify_chain().ok


def test_verify_notices_the_newest_row_removed(app, ctx):
    with acting_as(system_actor("test")):
        for n in range(3):
            audit.record("test.event", object_id=n)
    db.session.commit()
    newest = _events()[-1].id
    with triggers_dropped(), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": newest})
    fresh()
    report = audit.verify_chain()
    assert (report.ok, report.first_broken_id, report.reason) == (False, None, HEAD_MISMATCH)
    assert report.rows_checked == 2
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at its end, after 2 rows" in result.output


def test_verify_notices_every_row_removed_and_a_changed_head(ctx):
    with acting_as(system_actor("test")):
        audit.record("test.event")
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_chain_head SET row_hash = :h"), {"h": "f" * 64})
    fresh()
    assert audit.verify_chain().reason == HEAD_MISMATCH
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_chain_head SET row_hash = "
                          "(SELECT row_hash FROM audit_events)"))
    fresh()
    assert audit.verify_chain().ok
    with triggers_dropped(), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))
    fresh()
    report = audit.verify_chain()
    assert (report.rows_checked, report.reason) == (0, HEAD_MISMATCH)


def test_a_missing_head_is_seeded_from_the_newest_row(ctx):
    with acting_as(system_actor("test")):
        audit.record("test.before")
        audit.record("test.before")
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_chain_head"))
    fresh()
    assert audit.verify_chain().reason == HEAD_MISMATCH
    fresh()
    with acting_as(system_actor("test")):
        audit.record("test.after")
    db.session.commit()
    fresh()
    rows = _events()
    assert rows[-1].prev_hash == rows[-2].row_hash
    report = audit.verify_chain()
    assert report.ok and report.rows_checked == 3


def test_a_missing_head_is_seeded_for_record_many_too(ctx):
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_chain_head"))
    with acting_as(system_actor("test")):
        audit.record_many([audit.AuditEntry("test.batch", object_id=n) for n in range(2)])
    db.session.commit()
    fresh()
    report = audit.verify_chain()
    assert report.ok and report.rows_checked == 2


def _eventually(check: Callable[[], bool], what: str) -> None:
    """Poll a condition another thread brings about (the bound only guards against a hang)."""
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.mark.postgres
def test_a_second_writer_waits_for_the_first_ones_commit(app, ctx):
    done: dict[str, audit.Recorded] = {}
    pids: dict[str, int] = {}
    errors: list[BaseException] = []
    first_recorded, first_may_commit = threading.Event(), threading.Event()

    def writer(name: str) -> None:
        try:
            with app.app_context(), acting_as(system_actor(f"test {name}")):
                pids[name] = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                done[name] = audit.record(f"test.{name}")
                if name == "first":
                    first_recorded.set()
                    first_may_commit.wait(30)
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            first_recorded.set()

    first = threading.Thread(target=writer, args=("first",))
    first.start()
    first_recorded.wait(30)
    second = threading.Thread(target=writer, args=("second",))
    second.start()

    def second_waits_on_first() -> bool:
        if "second" not in pids:
            return False
        with db.engine.connect() as conn:
            blockers = conn.execute(text("SELECT pg_blocking_pids(:pid)"),
                                    {"pid": pids["second"]}).scalar_one()
        return pids["first"] in blockers

    _eventually(second_waits_on_first, "the second writer never waited for the first")
    assert "second" not in done
    first_may_commit.set()
    first.join()
    second.join()
    assert errors == []
    assert done["second"].prev_hash == done["first"].row_hash
    assert done["second"].id > done["first"].id
    fresh()
    report = audit.verify_chain()
    assert report.ok and report.rows_checked == 2


@pytest.mark.postgres
def test_concurrent_record_and_record_many_keep_one_chain(app, ctx):
    def writer(n: int) -> None:
        with app.app_context(), acting_as(system_actor("test writer")):
            for i in range(8):
                if (n + i) % 2:
                    audit.record("test.one", object_id=f"{n}-{i}")
                else:
                    audit.record_many([audit.AuditEntry("test.many", object_id=f"{n}-{i}-{k}")
                                       for k in range(3)])
                audit.record("test.one", object_id=f"{n}-{i}-after")
                db.session.commit()
            db.session.remove()

    assert run_in_threads(writer, 4) == []
    fresh()
    report = audit.verify_chain()
    assert report.ok and report.rows_checked == 4 * (4 * 1 + 4 * 3 + 8)
