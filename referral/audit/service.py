"""Write and verify the audit trail. Every domain records through ``record``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from flask import has_request_context, request
from sqlalchemy import Connection, Executable, String, bindparam, func, insert, select, text, update
from sqlalchemy import event as sa_event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from referral.access.scope import optional_actor
from referral.audit.models import AuditChainHead, AuditEvent
from referral.audit.verify import GENESIS, ChainReport, verify_chain  # noqa: F401 - interface
from referral.audit.verify import HASHED as _HASHED
from referral.audit.verify import canonical_prefix as _canonical_prefix
from referral.audit.verify import canonical_values as _canonical_values
from referral.bulk import insert_rows
from referral.extensions import db
from referral.models_base import utcnow

_HEAD_MEMO = "audit_chain_head"  # session.info: (root transaction, row_hash of our last row)
_EVENTS = AuditEvent.__table__
_HEAD = AuditChainHead.__table__
_FIELDS = _HASHED[:-1]  # the hashed fields but prev_hash, which comes from the head
# Details every row of the current request carries (an API call: {"via": "api", "token_id": N}),
# set by whoever authenticates the request and cleared at its teardown.
_REQUEST_DETAILS: ContextVar[dict[str, Any] | None] = ContextVar("audit_request_details",
                                                                 default=None)


def set_request_details(details: dict[str, Any] | None) -> None:
    """Ids and codes added to the details of every row the request writes (None clears),
    so that a row written through the API says so without each service knowing."""
    _REQUEST_DETAILS.set(dict(details) if details else None)


def _canonical(event: Any) -> bytes:
    return _canonical_values([getattr(event, name) for name in _HASHED])


def compute_hash(event: Any) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


@dataclass(frozen=True)
class Recorded:
    """The row ``record`` wrote (not loaded as an ``AuditEvent``: nothing reads it back)."""

    id: int
    prev_hash: str
    row_hash: str


@dataclass(frozen=True)
class AuditEntry:
    """One row for ``record_many``: ``record``'s arguments as a value."""

    action: str
    object_type: str | None = None
    object_id: object | None = None
    outcome: str = "success"
    details: dict[str, Any] | None = None


def record(
    action: str,
    *,
    object_type: str | None = None,
    object_id: object | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
    actor_user_id: int | None = None,
    actor_agency_id: int | None = None,
) -> Recorded:
    """Add an audit row to the current transaction (it commits or rolls back with the action).

    ``details`` must hold ids and codes only, never names, IINs, addresses or free text.

    The database links the row: it hashes the canonical prefix computed here with the head's
    hash and inserts the row with both hashes, and the head moves on to the row. On PostgreSQL
    that is one statement (an UPDATE of the head … RETURNING in a WITH, feeding the INSERT):
    the UPDATE waits for the head's row lock and then reads the newest head (READ COMMITTED
    re-reads a row it waited for), and the lock, held to the end of the transaction, orders
    chain writers as the advisory lock did. Ids are drawn after the lock, so id order is chain
    order. On SQLite the INSERT … SELECT from the head takes the write lock before it reads the
    head, then an UPDATE moves the head: a failed INSERT leaves the head as it was.
    """
    session = db.session()
    session.flush()  # pending changes first, as when the row was an ORM object
    entry = AuditEntry(action, object_type, object_id, outcome, details)
    (values,) = _rows([entry], actor_user_id, actor_agency_id)
    values["prefix"] = _canonical_prefix([values[name] for name in _FIELDS])
    postgres = session.get_bind().dialect.name == "postgresql"
    statement = _record_statement(postgres)
    found = session.execute(statement, values).one_or_none()
    if found is None:  # no head row: seed it from the newest audit row, then once more
        _seed_head(session)
        found = session.execute(statement, values).one()
    row = Recorded(found.id, found.prev_hash, found.row_hash)
    if not postgres:
        _move_head(session, row.prev_hash, row.row_hash)
    _remember_head(row.row_hash)
    return row


@cache
def _record_statement(postgres: bool) -> Executable:
    """INSERT the row from the head: prev_hash is the head's hash, row_hash the hash of
    ``prefix + '"' + head + '"]'`` (``canonical_prefix``). On PostgreSQL the head is an UPDATE
    that moves it on in the same statement; elsewhere the head row as it is."""
    canonical = bindparam("prefix", type_=String()) + '"' + _HEAD.c.row_hash + '"]'
    if postgres:
        digest = func.encode(func.sha256(func.convert_to(canonical, "UTF8")), "hex")
        head = (update(_HEAD).where(_HEAD.c.id == 1)
                .values(prev_hash=_HEAD.c.row_hash, row_hash=digest)
                .returning(_HEAD.c.prev_hash, _HEAD.c.row_hash).cte("head"))
        prev_hash, row_hash = head.c.prev_hash, head.c.row_hash
        source = select(head)
    else:
        prev_hash = _HEAD.c.row_hash
        row_hash = func.sha256_hex(canonical)  # registered on SQLite connections (web/database)
        source = select(_HEAD).where(_HEAD.c.id == 1)
    fields = [bindparam(name, type_=_EVENTS.c[name].type) for name in _FIELDS]
    return (insert(_EVENTS)
            .from_select([*_FIELDS, "prev_hash", "row_hash"],
                         source.with_only_columns(*fields, prev_hash, row_hash))
            .returning(_EVENTS.c.id, _EVENTS.c.prev_hash, _EVENTS.c.row_hash))


# The head from the newest audit row (GENESIS when there is none): written by migration 0010;
# again here only for a database whose head row is missing.
_SEED_HEAD = """
    INSERT INTO audit_chain_head (id, prev_hash, row_hash)
    SELECT 1, COALESCE(MAX(prev_hash), :genesis), COALESCE(MAX(row_hash), :genesis)
    FROM (SELECT prev_hash, row_hash FROM audit_events ORDER BY id DESC LIMIT 1) newest
    WHERE true
    ON CONFLICT (id) DO """


def _seed_head(session: Session) -> None:
    """Create a missing head row (a concurrent seeder's row wins: nothing is overwritten)."""
    session.execute(text(_SEED_HEAD + "NOTHING"), {"genesis": GENESIS})


def reset_head(connection: Connection | Session) -> None:
    """Point the head at the newest audit row, after rows were loaded without ``record``
    (the benchmark's COPY). Only while no one else writes (or holding the head)."""
    connection.execute(text(_SEED_HEAD + "UPDATE SET prev_hash = excluded.prev_hash, "
                            "row_hash = excluded.row_hash"), {"genesis": GENESIS})


def _move_head(session: Session, prev_hash: str, row_hash: str) -> None:
    """The head to a row written here (SQLite's record, and record_many)."""
    session.execute(update(_HEAD).where(_HEAD.c.id == 1).values(prev_hash=prev_hash,
                                                                 row_hash=row_hash))


def _lock_head(session: Session) -> str:
    """The head's hash, taking the head for this transaction (the row lock on PostgreSQL, the
    write lock on SQLite), read after any wait: a no-op UPDATE … RETURNING."""
    lock = (update(_HEAD).where(_HEAD.c.id == 1).values(row_hash=_HEAD.c.row_hash)
            .returning(_HEAD.c.row_hash))
    head = session.execute(lock).scalar_one_or_none()
    if head is None:
        _seed_head(session)
        head = session.execute(lock).scalar_one()
    return head


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_head(session: Session, _previous: Any) -> None:
    # A rolled-back savepoint undoes our head update (and on PostgreSQL releases a row lock
    # taken inside it): the memo must not outlive it.
    session.info.pop(_HEAD_MEMO, None)


# No "after_commit" hook: SQLAlchemy fires it for every savepoint released too. The memo is
# keyed by its root transaction, and a new transaction is a new object, so a committed one is
# never reused.


def record_many(entries: Sequence[AuditEntry], *, actor_user_id: int | None = None,
                actor_agency_id: int | None = None) -> None:
    """Add several chained audit rows in one statement (a sweep that expires a thousand
    referrals writes a thousand rows: a few statements instead of a thousand).

    The head is taken (or known: this transaction already holds it, see ``_remember_head``),
    the rows are chained here in the given order and inserted in that order (one ``unnest``
    INSERT on PostgreSQL, an executemany elsewhere: referral.bulk), so id order is chain
    order; then the head moves to the last row.
    """
    if not entries:
        return
    session = db.session()
    memo = session.info.get(_HEAD_MEMO)
    if memo is not None and memo[0] is session.get_transaction():
        prev_hash = memo[1]
    else:
        prev_hash = _lock_head(session)
    rows = _rows(entries, actor_user_id, actor_agency_id)
    for values in rows:
        values["prev_hash"] = prev_hash
        values["row_hash"] = prev_hash = hashlib.sha256(
            _canonical_values([values[name] for name in _HASHED])).hexdigest()
    try:
        insert_rows(_EVENTS, rows)
    except DBAPIError:
        # SQLite runs an executemany row by row and keeps the rows before a refused one in the
        # transaction: the head follows them. (PostgreSQL has ended the transaction.)
        if session.get_bind().dialect.name != "postgresql":
            session.info.pop(_HEAD_MEMO, None)
            reset_head(session)
        raise
    _move_head(session, rows[-1]["prev_hash"], rows[-1]["row_hash"])
    _remember_head(rows[-1]["row_hash"])


def _rows(entries: Sequence[AuditEntry], actor_user_id: int | None,
          actor_agency_id: int | None) -> list[dict[str, Any]]:
    """The hashed column values of ``entries`` but the hashes."""
    actor = optional_actor()
    if actor is not None and not actor.is_system:
        actor_user_id = actor_user_id or actor.user_id
        actor_agency_id = actor_agency_id or actor.agency_id
    source_ip = request.remote_addr if has_request_context() else None
    created_at = utcnow()
    extra = _REQUEST_DETAILS.get()
    return [{"created_at": created_at, "actor_user_id": actor_user_id,
             "actor_agency_id": actor_agency_id, "action": entry.action,
             "object_type": entry.object_type,
             "object_id": None if entry.object_id is None else str(entry.object_id),
             "outcome": entry.outcome, "source_ip": source_ip,
             "details": {**extra, **(entry.details or {})} if extra else entry.details}
            for entry in entries]


def _remember_head(row_hash: str) -> None:
    """Our last row is the head until this transaction ends: on PostgreSQL we hold the head's
    row lock, on SQLite the write lock. ``record_many`` later in the transaction needs neither
    the lock nor the read again (the deadline sweep's batches)."""
    session = db.session()
    session.info[_HEAD_MEMO] = (session.get_transaction(), row_hash)


def list_events(
    *,
    action: str | None = None,
    actor_user_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AuditEvent]:
    """Newest first, keyset-paginated by id (administrators' audit viewer)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    filters = {
        AuditEvent.action: action,
        AuditEvent.actor_user_id: actor_user_id,
        AuditEvent.object_type: object_type,
        AuditEvent.object_id: object_id,
        AuditEvent.outcome: outcome,
    }
    for column, value in filters.items():
        if value not in (None, ""):
            query = query.where(column == value)
    if since:
        query = query.where(AuditEvent.created_at >= since)
    if until:
        query = query.where(AuditEvent.created_at < until)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return list(db.session.execute(query).scalars())
