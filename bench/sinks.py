"""Where generated rows go: PostgreSQL COPY (one connection per table) or SQLite executemany.

Column lists come from the app's SQLAlchemy metadata. A writer is given the columns the
generator knows about; every other column must have a scalar default (used as a constant) or be
nullable / an autoincrement key (left to the database). A new NOT NULL column without a default
stops the generator with a clear message instead of loading wrong data.
"""

from __future__ import annotations

import enum
import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa


class SchemaDrift(RuntimeError):
    """The schema gained a column the generator cannot fill."""


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _default_value(column: sa.Column) -> tuple[bool, Any]:
    """(has a value to write, the value) for a column the generator does not fill."""
    default = column.default
    if default is not None and getattr(default, "is_scalar", False):
        return True, _plain(default.arg)
    if column.primary_key or column.nullable or column.server_default is not None:
        return False, None
    if default is not None and getattr(default, "is_callable", False):
        try:
            value = default.arg(None)
        except TypeError:
            value = default.arg()
        if isinstance(value, datetime):
            return True, value
        return True, _plain(value)
    raise SchemaDrift(
        f"{column.table.name}.{column.name} is NOT NULL without a default: teach bench/generate.py"
        " to fill it")


class Writer:
    """Rows for one table: ``add(*values)`` in the order of ``given``."""

    def __init__(self, sink: Sink, table: sa.Table, given: Sequence[str]) -> None:
        names = {c.name for c in table.columns}
        unknown = [g for g in given if g not in names]
        if unknown:
            raise SchemaDrift(f"{table.name} has no column(s) {', '.join(unknown)}")
        tail_cols, tail_vals = [], []
        for column in table.columns:
            if column.name in given:
                continue
            has, value = _default_value(column)
            if has:
                tail_cols.append(column.name)
                tail_vals.append(value)
        self.sink = sink
        self.table = table
        self.columns = [*given, *tail_cols]
        self.tail = tuple(tail_vals)
        self.count = 0
        self._handle = sink.open(self)

    def add(self, *values: Any) -> None:
        self.count += 1
        self.sink.write(self._handle, values + self.tail)

    def close(self) -> None:
        self.sink.close(self._handle)


class Sink:
    def open(self, writer: Writer) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def write(self, handle: Any, row: tuple) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self, handle: Any) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def finish(self) -> None:
        pass


class PostgresSink(Sink):
    """One connection and one open COPY per table, so rows of many tables stream at once.

    ``session_replication_role = replica`` skips the FK triggers while loading (the generator
    keeps references consistent; the SQLite test checks them with PRAGMA foreign_key_check).
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def open(self, writer: Writer) -> Any:
        import psycopg

        conn = psycopg.connect(self.dsn)
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        cols = ", ".join(f'"{c}"' for c in writer.columns)
        cursor = conn.cursor()
        copy_cm = cursor.copy(f'COPY "{writer.table.name}" ({cols}) FROM STDIN')
        copy = copy_cm.__enter__()
        return conn, copy_cm, copy

    def write(self, handle: Any, row: tuple) -> None:
        handle[2].write_row(row)

    def close(self, handle: Any) -> None:
        conn, copy_cm, _copy = handle
        copy_cm.__exit__(None, None, None)
        conn.commit()
        conn.close()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


class SqliteSink(Sink):
    """Batched executemany into one SQLite file (the small dataset)."""

    BATCH = 5000

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA synchronous = OFF")
        self.conn.execute("PRAGMA journal_mode = MEMORY")

    def open(self, writer: Writer) -> Any:
        cols = ", ".join(f'"{c}"' for c in writer.columns)
        marks = ", ".join("?" for _ in writer.columns)
        return {"sql": f'INSERT INTO "{writer.table.name}" ({cols}) VALUES ({marks})', "rows": []}

    def write(self, handle: Any, row: tuple) -> None:
        handle["rows"].append(row)
        if len(handle["rows"]) >= self.BATCH:
            self._flush(handle)

    def _flush(self, handle: Any) -> None:
        rows: Iterable[tuple] = ([_sqlite_value(v) for v in r] for r in handle["rows"])
        self.conn.executemany(handle["sql"], rows)
        handle["rows"] = []

    def close(self, handle: Any) -> None:
        self._flush(handle)
        self.conn.commit()

    def finish(self) -> None:
        self.conn.commit()
        self.conn.close()
