"""``insert_rows``: one statement for many rows (``unnest`` on PostgreSQL) must store exactly
what an executemany stores, in the given order, and take one statement whatever the count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert, select

from referral.access.scope import acting_as, system_actor
from referral.bulk import insert_rows
from referral.cases.models import TimelineEntry
from referral.extensions import db
from tests.coordination.factories import make_case

_table = TimelineEntry.__table__
_AT = datetime(2026, 3, 1, 21, 30, 15, 123456, tzinfo=UTC)


def _rows(case_id: int, n: int, tag: str) -> list[dict]:
    awkward = [None, {}, {"note": "Қазақша «ok» \"quoted\" \\ end", "n": 3, "x": 1.5,
                          "nested": {"a": [1, None, True]}}]
    return [{"case_id": case_id, "at": _AT + timedelta(seconds=i), "kind": f"{tag}.{i}",
             "category": None if i % 2 else "incident_details", "object_type": "case",
             "object_id": i if i % 3 else None, "actor_user_id": None, "actor_agency_id": None,
             "data": awkward[i % 3]} for i in range(n)]


def _stored(tag: str) -> list[tuple]:
    with acting_as(system_actor("test reads what it wrote")):
        found = db.session.execute(
            select(_table.c.id, _table.c.at, _table.c.kind, _table.c.category,
                   _table.c.object_type, _table.c.object_id, _table.c.data)
            .where(_table.c.kind.like(f"{tag}.%")).order_by(_table.c.id)).all()
    return [tuple(row)[1:] for row in found]


def test_the_same_rows_as_an_executemany_in_the_given_order(world):
    case = make_case(world["police"], world["officer"])
    insert_rows(_table, _rows(case.id, 7, "bulk"))
    db.session.execute(insert(_table), _rows(case.id, 7, "many"))
    bulk, many = _stored("bulk"), _stored("many")
    assert [row[1] for row in bulk] == [f"bulk.{i}" for i in range(7)]  # id order = given order
    assert [row[0] for row in bulk] == [_AT + timedelta(seconds=i) for i in range(7)]
    assert [row[:1] + row[2:] for row in bulk] == [row[:1] + row[2:] for row in many]
    db.session.rollback()


def test_one_statement_whatever_the_number_of_rows(world):
    case = make_case(world["police"], world["officer"])
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        insert_rows(_table, _rows(case.id, 3, "small"))
        small = len(seen)
        insert_rows(_table, _rows(case.id, 300, "large"))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(seen) - small == small  # as many statements for 300 rows as for 3
    if db.engine.dialect.name == "postgresql":  # one server-side execution, not one per row
        assert "unnest(" in seen[-1] and "executemany" not in seen[-1]
    assert len(_stored("large")) == 300
    insert_rows(_table, [])  # nothing to do is no statement and no error
    db.session.rollback()
