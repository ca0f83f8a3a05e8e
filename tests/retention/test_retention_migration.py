"""Migration 0029: closed cases get ``closed_at`` from their last status change on the timeline
(else their last change); open cases none."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.test_migrations import _insert_minimal, _sqlite_at


def test_0029_back_fills_closed_at_from_the_timeline(tmp_path: Path) -> None:
    with _sqlite_at(tmp_path, "0028") as (db, raw):
        with raw:
            for case_id, status in ((1, "closed"), (2, "closed"), (3, "open")):
                _insert_minimal(raw, "cases", {"id": case_id, "status": status,
                                               "reference": f"c{case_id}",
                                               "updated_at": "2020-05-05 00:00:00.000000"})
            for at in ("2016-01-01 10:00:00.000000", "2017-02-02 10:00:00.000000"):
                _insert_minimal(raw, "case_timeline", {"case_id": 1, "kind": "case.status",
                                                       "at": at, "data": "{}"})
            _insert_minimal(raw, "case_timeline", {"case_id": 1, "kind": "note.added",
                                                   "at": "2018-01-01 00:00:00.000000",
                                                   "data": "{}"})
        upgrade(revision="0029")
        with db.engine.connect() as conn:
            found = {i: (str(v)[:10] if v else None) for i, v in conn.execute(
                text("SELECT id, closed_at FROM cases ORDER BY id"))}
        assert found == {1: "2017-02-02", 2: "2020-05-05", 3: None}
        downgrade(revision="0028")
        with db.engine.connect() as conn:
            assert "closed_at" not in {c["name"] for c in inspect(conn).get_columns("cases")}
            assert "legal_holds" not in inspect(conn).get_table_names()
