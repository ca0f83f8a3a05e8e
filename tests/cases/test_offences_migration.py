"""Migration 0021 on SQLite and PostgreSQL: the offences table brought in line with the data
file (parts, sources, dates, corrected titles, 99 and 105) and existing incidents reclassified
from their stored flags and offence, never lowered; and back down."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import Boolean, Date, DateTime, Integer, inspect, text
from sqlalchemy.engine import Connection

from referral import create_app
from tests.conftest import base_config
from tests.test_migrations import _assert_models_match, scratch_postgres  # noqa: F401

# id: (flags, stored type, offence article, survivor born, relationship) -> type, contexts
INCIDENTS: dict[int, tuple[dict[str, bool], str, str | None, date | None, str | None]] = {
    10: ({"psychological": True}, "psychological_abuse", "125-1", None, None),
    11: ({"physical": True}, "physical_assault", "120", None, None),
    12: ({"sexual": True, "penetration": True}, "rape", None, date(2011, 1, 1), "stepchild"),
    13: ({"physical": True}, "physical_assault", None, date(1985, 7, 22), "former_spouse"),
    14: ({"psychological": True}, "psychological_abuse", "108-1", None, None),
    15: ({"physical": True, "psychological": True}, "physical_assault", "115", None, None),
}
EXPECTED = {
    10: ("forced_marriage", False, False), 11: ("rape", False, False),
    12: ("rape", False, True), 13: ("physical_assault", True, False),
    14: ("physical_assault", False, False), 15: ("physical_assault", False, False),
}
FLAGS = ("physical", "sexual", "psychological", "economic", "penetration", "forced_marriage")


def _insert(conn: Connection, table: str, values: dict[str, Any]) -> None:
    """A row with ``values`` and a placeholder in every other NOT NULL column."""
    row = dict(values)
    for column in inspect(conn).get_columns(table):
        name, kind = column["name"], column["type"]
        if column["nullable"] or name in row or name == "id" or column.get("default"):
            continue
        row[name] = (False if isinstance(kind, Boolean) else 1 if isinstance(kind, Integer)
                     else datetime(2026, 1, 1) if isinstance(kind, DateTime)
                     else date(2026, 1, 1) if isinstance(kind, Date) else "x")
    conn.execute(text(f"INSERT INTO {table} ({', '.join(row)}) VALUES "
                      f"({', '.join(':' + k for k in row)})"), row)


def _as_before_0021(conn: Connection) -> dict[str, int]:
    """Put the offences table as deployments had it (0002's seed of the old file) and add the
    incidents; returns the offence ids by article."""
    conn.execute(text("DELETE FROM offences WHERE article IN ('99', '105')"))
    conn.execute(text("UPDATE offences SET valid_from = NULL WHERE article IN ('73-1', '73-2')"))
    conn.execute(text("UPDATE offences SET title_kk = 'Бостандықтан заңсыз айыру' "
                      "WHERE article = '126'"))
    conn.execute(text("UPDATE offences SET title_en = 'Torture (systematic beatings)', "
                      "kind = 'crime' WHERE article IN ('110', '109-1', '108-1')"))
    ids = dict(conn.execute(text("SELECT article, id FROM offences")).all())
    _insert(conn, "cases", {"id": 1, "reference": "KZ-75-2026-000001", "region_code": "KZ-75"})
    for incident_id, (flags, stored, article, born, relationship) in INCIDENTS.items():
        person = None
        if born:
            person = incident_id
            _insert(conn, "people", {"id": person, "birth_date": born})
            _insert(conn, "case_participants", {"case_id": 1, "person_id": person,
                                                "role": "survivor",
                                                "relationship_to_offender": relationship})
        _insert(conn, "incidents", {
            "id": incident_id, "case_id": 1, "region_code": "KZ-75", "gbv_type": stored,
            "occurred_at": datetime(2026, 3, 1, 10), "survivor_person_id": person,
            "offence_id": ids[article] if article else None,
            **{flag: flags.get(flag, False) for flag in FLAGS}})
    return ids


def _check_upgraded(conn: Connection, ids: dict[str, int]) -> None:
    rows = {r.id: (r.gbv_type, bool(r.context_intimate_partner),
                   bool(r.context_child_sexual_abuse))
            for r in conn.execute(text("SELECT * FROM incidents"))}
    assert rows == EXPECTED
    offences = {r.article: r for r in conn.execute(text("SELECT * FROM offences"))}
    assert offences["126"].title_kk == "Бас бостандығынан заңсыз айыру"
    assert offences["110"].title_en.startswith("Torment")
    assert (offences["109-1"].kind, offences["108-1"].kind) == ("criminal_misdemeanour", "")
    assert conn.execute(text(
        "SELECT part, kind FROM offence_parts WHERE offence_id = :o ORDER BY part"),
        {"o": ids["108-1"]}).all() == [("1", "criminal_misdemeanour"), ("2", "crime")]
    assert {"99", "105"} <= offences.keys()
    assert str(offences["73-2"].valid_from) == "2017-07-22"
    assert all(r.source.startswith("https://adilet.zan.kz/") for r in offences.values())
    # Existing incidents keep their article, the part never recorded.
    assert conn.execute(text("SELECT offence_id, offence_part FROM incidents WHERE id = 14")
                        ).one() == (ids["108-1"], "")


def _round_trip(app: Any) -> None:
    from referral.extensions import db

    with app.app_context():
        upgrade(revision="0020")
        # The rows' own links are not the point here (on SQLite the pragma must come before
        # any BEGIN, so this connection does not begin on its own).
        with db.engine.connect().execution_options(sqlite_autobegin=False) as conn:
            conn.execute(text("SET session_replication_role = replica"
                              if conn.dialect.name == "postgresql"
                              else "PRAGMA foreign_keys = OFF"))
            ids = _as_before_0021(conn)
            conn.commit()
        db.engine.dispose()
        upgrade()
        _assert_models_match(app)
        with db.engine.begin() as conn:
            _check_upgraded(conn, ids)
            conn.execute(text("UPDATE incidents SET offence_part = '2' WHERE id = 14"))
        downgrade(revision="0020")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT offence_id FROM incidents WHERE id = 14")
                                ).scalar() == ids["108-1"]
            assert conn.execute(text("SELECT count(*) FROM incidents")).scalar() == 6
            assert "offence_parts" not in inspect(conn).get_table_names()
        upgrade()
        _assert_models_match(app)
        db.session.remove()
        db.engine.dispose()


def test_0021_sqlite(tmp_path: Path) -> None:
    _round_trip(create_app(base_config(f"sqlite:///{tmp_path / 'data.sqlite'}")))


@pytest.mark.postgres
def test_0021_postgres(scratch_postgres: str) -> None:  # noqa: F811
    _round_trip(create_app(base_config(scratch_postgres)))
