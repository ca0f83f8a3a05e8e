"""Many rows into one table in one statement.

An executemany sends and executes one INSERT per row: the driver builds and pipelines each one,
and the server parses, plans and runs each one. The minute sweep writes thousands of rows at once
(history, timeline, in-app notifications, audit), and that per-row work was a third of its time
(docs/performance.md). On PostgreSQL the rows go as one array per column and the server unpacks
them with ``unnest``: one statement, whatever the number of rows, inserted in the given order
(so ids from a sequence follow it). Other databases keep the executemany.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Table, Text, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.type_api import TypeEngine

from referral.extensions import db


def _array_type(column_type: TypeEngine[Any]) -> tuple[TypeEngine[Any], bool]:
    """The array type a column's values travel in, and whether they travel as JSON text."""
    if isinstance(column_type, JSON):
        return ARRAY(Text), True
    return ARRAY(column_type), False


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``, in order, in this transaction."""
    if not rows:
        return
    session = db.session()
    if len(rows) == 1 or session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    serialize = session.get_bind().dialect._json_serializer or json.dumps  # type: ignore[attr-defined]
    arrays, as_json = [], []
    for position, name in enumerate(names):
        array_type, is_json = _array_type(table.c[name].type)
        values = [row[name] for row in rows]
        if is_json:  # None as the JSON type would store it: JSON null unless none_as_null
            keep_null = table.c[name].type.none_as_null  # type: ignore[attr-defined]
            values = [None if value is None and keep_null else serialize(value)
                      for value in values]
        arrays.append(bindparam(f"column_{position}", values, type_=array_type))
        as_json.append(is_json)
    unpacked = func.unnest(*arrays).table_valued(*names).render_derived()
    selected = [cast(unpacked.c[name], table.c[name].type) if is_json else unpacked.c[name]
                for name, is_json in zip(names, as_json, strict=True)]
    session.execute(insert(table).from_select(names, select(*selected)))
