"""Engine settings that make SQLite behave transactionally, enforce foreign keys and hash the
audit chain in SQL."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g, has_app_context
from sqlalchemy import Engine, event

from referral.replica import READ_ONLY

log = logging.getLogger(__name__)
_installed = False
BUSY_TIMEOUT_MS = 30_000  # waiting is always better than "database is locked" (a 500)


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
            # A writer waits this long for another process's write lock (this process's writers
            # queue in order first: _WriterQueue); an engine asking longer keeps its own (the
            # embedded Celery broker's, workers.transport_options).
            if cursor.execute("PRAGMA busy_timeout").fetchone()[0] < BUSY_TIMEOUT_MS:
                cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL is a property of the file: set once, by the first connection. Asking again while
            # another connection writes can fail with "database is locked", so only if needed.
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
            # The audit chain's hash in SQL (PostgreSQL has sha256()): referral.audit.service.
            dbapi_connection.create_function("sha256_hex", 1, _sha256_hex, deterministic=True)

    @event.listens_for(Engine, "connect")
    def _keep_more_prepared(dbapi_connection: Any, _record: Any) -> None:
        if hasattr(dbapi_connection, "prepared_max"):  # psycopg 3 (referral/web/read_commit.py)
            dbapi_connection.prepared_max = PREPARED_PER_CONNECTION

    @event.listens_for(Engine, "begin")
    def _nothing_written_yet(conn: Any) -> None:
        conn.info.pop(TRANSACTION_WROTE, None)

    @event.listens_for(Engine, "before_cursor_execute")
    def _note_writes(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if writes_rows(statement):
            conn.info[TRANSACTION_WROTE] = True

    @event.listens_for(Engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        # An engine that runs its own BEGIN (the embedded Celery broker, kombu's SQLAlchemy
        # transport, issues "BEGIN IMMEDIATE") opts out with sqlite_autobegin=False; a write
        # action asks for the write lock up front with sqlite_begin (web/transaction.py).
        if conn.dialect.name != "sqlite":
            return
        options = conn.get_execution_options()
        if not options.get("sqlite_autobegin", True):
            return
        statement = options.get("sqlite_begin") or _begin_statement()
        if statement != "BEGIN IMMEDIATE":
            conn.exec_driver_sql(statement)
            return
        # This process's writers queue for their turn here, first come first served; SQLite's
        # busy timeout then only arbitrates between processes (web, Celery worker).
        queued = _WRITERS.acquire(TURN_WAIT_SECONDS)
        try:
            conn.exec_driver_sql(statement)
        except BaseException:
            if queued:
                _WRITERS.release()
            raise
        if queued:
            conn.info[_HOLDS_TURN] = threading.current_thread()

    @event.listens_for(Engine, "before_cursor_execute")
    def _postgres_head_first(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        # One lock order for every writer of a request or task: the audit chain's head, then
        # rows. Without it a page view that updates a referral (whose triggers touch its case)
        # and then audits meets an action that audited first and then locks that case: a
        # deadlock, found by the load test. Every such transaction audits and so holds the
        # head to its commit anyway; taking it at the first write moves the lock earlier,
        # not longer.
        if (conn.dialect.name != "postgresql" or conn.info.get(_HEAD_TAKEN)
                or conn.get_execution_options().get(READ_ONLY)
                or not conn.in_transaction() or not writes_rows(statement)
                or not (has_app_context() and g.get(_WRITES_FIRST))):
            return
        conn.info[_HEAD_TAKEN] = True
        if "audit_chain_head" not in statement:
            with cursor.connection.cursor() as head:
                head.execute(_TAKE_HEAD)

    @event.listens_for(Engine, "commit")
    @event.listens_for(Engine, "rollback")
    @event.listens_for(Engine, "rollback_savepoint")
    def _postgres_head_released(conn: Any, *_args: Any) -> None:
        # A savepoint rolled back releases the locks taken inside it: take the head again.
        conn.info.pop(_HEAD_TAKEN, None)

    @event.listens_for(Engine, "commit")
    @event.listens_for(Engine, "rollback")
    def _sqlite_end(conn: Any) -> None:
        # Fired just before COMMIT / ROLLBACK: the next writer in the queue may then already
        # ask SQLite, whose busy timeout covers the moment until the lock is free.
        if conn.info.pop(_HOLDS_TURN, None) is threading.current_thread():
            _WRITERS.release()


# On a connection's info: this transaction ran a write (referral/web/read_commit.py ends one
# that did not with COMMIT, so that psycopg keeps its prepared statements).
TRANSACTION_WROTE = "transaction_wrote"
# How many statements psycopg keeps prepared per connection (its default, 100, is fewer than the
# pages' statements together, and each one evicted would be planned five more times).
PREPARED_PER_CONNECTION = 1000
_WRITES_FIRST = "_sqlite_writes_first"  # on flask.g: this request or task may write
_HEAD_TAKEN = "audit_head_taken"  # on a PostgreSQL connection's info: this transaction holds it
# A no-op update: the head's row lock, held to the end of the transaction (audit/service.py).
_TAKE_HEAD = "UPDATE audit_chain_head SET row_hash = row_hash WHERE id = 1"
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "WITH")


def writes_rows(statement: str) -> bool:
    """Whether a statement takes row locks (a write, or a SELECT … FOR UPDATE / FOR SHARE)."""
    head = statement.lstrip()[:6].upper()
    if head.startswith(_WRITE_VERBS):
        return head != "WITH" or any(verb in statement.upper() for verb in _WRITE_VERBS[:3])
    return " FOR UPDATE" in statement or " FOR NO KEY UPDATE" in statement or (
        " FOR SHARE" in statement)
_HOLDS_TURN = "sqlite_writer_turn"  # on the connection's info: the thread whose turn it holds
# How long a writer waits for its turn in the queue before asking SQLite anyway (a request
# that waited this long is better answered late than with an error).
TURN_WAIT_SECONDS = 60.0


class _WriterQueue:
    """A re-entrant lock handed out in the order it was asked for.

    Why not SQLite's busy timeout alone: its waiters poll, sleeping longer the longer they
    have waited (up to 100 ms), so under load newcomers keep taking the lock while an early
    waiter sleeps, the early one runs out of time ("database is locked"), and the lock lies
    idle between a commit and the next poll. Measured with bench/stack_load.py: at 16 clients
    some requests waited over 10 s without it (and failed).

    A turn belongs to a thread. The request's teardown and the end of a task give back what
    their thread still holds (``release_writer_turn``), and a waiter takes over the turn of a thread
    that has ended, so that a missed release can slow a few writers, never stop them.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._waiting: deque[threading.Thread] = deque()
        self._owner: threading.Thread | None = None
        self._depth = 0

    def _free(self) -> bool:
        if self._owner is not None and not self._owner.is_alive():
            log.warning("a writer's turn was not given back; taken over")
            self._owner, self._depth = None, 0
        return self._owner is None

    def acquire(self, timeout: float) -> bool:
        me = threading.current_thread()
        deadline = time.monotonic() + timeout
        with self._changed:
            if self._owner is me:
                self._depth += 1
                return True
            self._waiting.append(me)
            try:
                while not (self._free() and self._waiting[0] is me):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        self._changed.notify_all()  # the one behind may be first now
                        return False
                    self._changed.wait(min(left, 1.0))
            finally:
                self._waiting.remove(me)
            self._owner, self._depth = me, 1
            return True

    def release(self, *, everything: bool = False) -> None:
        with self._changed:
            if self._owner is not threading.current_thread():
                return
            self._depth = 0 if everything else self._depth - 1
            if self._depth <= 0:
                self._owner, self._depth = None, 0
                self._changed.notify_all()


_WRITERS = _WriterQueue()


def release_writer_turn() -> None:
    """Give back this thread's turn, if it still holds one (end of a request or task)."""
    _WRITERS.release(everything=True)


def take_write_lock_first(on: bool = True) -> None:
    """From now on in this request or task, a SQLite transaction begins as a writer.

    Why: SQLite has one writer at a time, and a transaction that began by reading cannot
    become the writer once another connection wrote; it fails at once with "database is
    locked", without waiting (the busy timeout covers only a transaction that asks for the
    lock before it has read anything). Nearly every request writes something after it read:
    the session's last-seen stamp, the audit row of a page view, notifications marked read, the
    action itself. So a request's transactions, and a Celery task's, start with BEGIN IMMEDIATE
    and wait their turn (busy timeout); the page is rendered afterwards, outside that lock
    (``hooks``: off again before a template renders). On PostgreSQL, which waits on row
    locks, the same flag makes the first write take the audit chain's head first, so that all
    writers lock in one order (``_postgres_head_first``).
    """
    if has_app_context():
        setattr(g, _WRITES_FIRST, on)


@contextmanager
def reading_only() -> Iterator[None]:
    """Within: transactions begin as readers (for a read followed by slow work, e.g. argon2,
    that must not hold the write lock). The caller ends the transaction before it writes."""
    before = has_app_context() and bool(g.get(_WRITES_FIRST))
    take_write_lock_first(False)
    try:
        yield
    finally:
        take_write_lock_first(before)


def _begin_statement() -> str:
    if has_app_context() and g.get(_WRITES_FIRST):
        return "BEGIN IMMEDIATE"
    return "BEGIN"


# Indexes that exist only in one database's migrations (e.g. PostgreSQL's trigram index for name
# search, the case list's NULLS LAST order of migration 0014); the models cannot express them
# portably, so schema comparison leaves them out.
DATABASE_ONLY_INDEXES = frozenset({"ix_people_name_key_trgm", "ix_cases_region_risk_order"})


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic hook: skip the database-specific indexes above when comparing schemas."""
    return not (type_ == "index" and name in DATABASE_ONLY_INDEXES)
