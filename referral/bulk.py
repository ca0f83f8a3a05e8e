"""Many rows into one table in one statement.

An executemany sends and executes one INSERT per row: the driver builds and pipelines each one,
and the server parses, plans and runs each one. The minute sweep writes thousands of rows at once
(history, timeline, in-app notifications, audit), and that per-row work would be a third of its
time. On PostgreSQL the rows go as one array per column and the server unpacks
them with ``unnest``: one statement, whatever the number of rows, inserted in the given order
(so ids from a sequence follow it). Other databases keep the executemany.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Table, Text, TypeDecorator, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.type_api import TypeEngine

from referral.extensions import db

try:
    import psycopg
    from psycopg.types.array import ListBinaryDumper
except ImportError:  # another driver: the arrays go as plain lists
    psycopg = None


class _BinaryList(list):  # type: ignore[type-arg]
    """A column's values sent in PostgreSQL's binary format. psycopg writes a text array by
    escaping each string with a regular expression: 89 ms for 5,000 JSON values, against 1 ms
    in binary, and the sweep sends tens of thousands."""


if psycopg is not None:
    psycopg.adapters.register_dumper(_BinaryList, ListBinaryDumper)


class _ReadyArray(TypeDecorator):  # type: ignore[type-arg]
    """An array whose elements ``insert_rows`` has already passed through the column type's
    own bind processing: only the cast to the column's array type is rendered."""

    impl = ARRAY
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def _array_type(column_type: TypeEngine[Any]) -> tuple[TypeEngine[Any], bool]:
    """The element type a column's values travel as, and whether they travel as JSON text."""
    if isinstance(column_type, JSON):
        return Text(), True
    return column_type, False


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``, in order, in this transaction."""
    if not rows:
        return
    session = db.session()
    if len(rows) == 1 or session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    dialect = session.get_bind().dialect
    serialize = dialect._json_serializer or json.dumps  # type: ignore[attr-defined]
    wrap = _BinaryList if psycopg is not None and dialect.driver == "psycopg" else list
    arrays, as_json = [], []
    for position, name in enumerate(names):
        item_type, is_json = _array_type(table.c[name].type)
        values = [row[name] for row in rows]
        if is_json:  # None as the JSON type would store it: JSON null unless none_as_null
            keep_null = table.c[name].type.none_as_null  # type: ignore[attr-defined]
            values = [None if value is None and keep_null else serialize(value)
                      for value in values]
        process = item_type.bind_processor(dialect)
        if process is not None:
            values = [process(value) for value in values]
        arrays.append(bindparam(f"column_{position}", wrap(values),
                                type_=_ReadyArray(item_type)))
        as_json.append(is_json)
    unpacked = func.unnest(*arrays).table_valued(*names).render_derived()
    selected = [cast(unpacked.c[name], table.c[name].type) if is_json else unpacked.c[name]
                for name, is_json in zip(names, as_json, strict=True)]
    session.execute(insert(table).from_select(names, select(*selected)))
