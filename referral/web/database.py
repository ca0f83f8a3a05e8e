"""Engine settings that make SQLite behave transactionally, enforce foreign keys and hash the
audit chain in SQL."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Engine, event

_installed = False


def _sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def init_engine_events() -> None:
    global _installed
    if _installed:
        return
    _installed = True

    @event.listens_for(Engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            # SQLAlchemy issues BEGIN itself so transactions and SAVEPOINTs work (pysqlite recipe).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL is a property of the file: set once, by the first connection. Asking again while
            # another connection writes can fail with "database is locked", so only if needed.
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
            # The audit chain's hash in SQL (PostgreSQL has sha256()): referral.audit.service.
            dbapi_connection.create_function("sha256_hex", 1, _sha256_hex, deterministic=True)

    @event.listens_for(Engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        # An engine that runs its own BEGIN (the embedded Celery broker, kombu's SQLAlchemy
        # transport, issues "BEGIN IMMEDIATE") opts out with sqlite_autobegin=False; a write
        # action asks for the write lock up front with sqlite_begin (web/transaction.py).
        if conn.dialect.name != "sqlite":
            return
        options = conn.get_execution_options()
        if options.get("sqlite_autobegin", True):
            conn.exec_driver_sql(options.get("sqlite_begin", "BEGIN"))


# Indexes that exist only in one database's migrations (e.g. PostgreSQL's trigram index for name
# search, the case list's NULLS LAST order of migration 0014); the models cannot express them
# portably, so schema comparison leaves them out.
DATABASE_ONLY_INDEXES = frozenset({"ix_people_name_key_trgm", "ix_cases_region_risk_order"})


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic hook: skip the database-specific indexes above when comparing schemas."""
    return not (type_ == "index" and name in DATABASE_ONLY_INDEXES)
