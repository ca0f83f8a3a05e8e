"""Write and verify the audit trail. Every domain records through ``record``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from referral.access.scope import optional_actor
from referral.audit.models import AuditEvent
from referral.audit.verify import GENESIS, ChainReport, verify_chain  # noqa: F401 - interface
from referral.audit.verify import HASHED as _HASHED
from referral.audit.verify import canonical_values as _canonical_values
from referral.extensions import db
from referral.models_base import utcnow

_PG_CHAIN_LOCK = 72_617_001  # advisory lock key: one writer extends the chain at a time


def _canonical(event: AuditEvent) -> bytes:
    return _canonical_values([getattr(event, name) for name in _HASHED])


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


_HEAD = "audit_chain_head"  # session.info: (root transaction, row_hash of our last row)


def _last_hash() -> str:
    session = db.session()
    # Our own last row in this transaction is still the head: on PostgreSQL we hold the chain
    # lock until the transaction ends, on SQLite the write lock since our first insert. So a
    # second record() in one transaction needs neither the lock nor the read again (an action
    # that audits many rows, like the deadline sweep, saves two queries a row). A rolled-back
    # savepoint forgets it (see _forget_head).
    head = session.info.get(_HEAD)
    if head is not None and head[0] is session.get_transaction():
        return head[1]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_CHAIN_LOCK})
    last = session.execute(
        select(AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    return last or GENESIS


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_head(session: Session, _previous: Any) -> None:
    session.info.pop(_HEAD, None)


# No "after_commit" hook: SQLAlchemy fires it for every savepoint released too, which made the
# sweep read the head again after each notification savepoint. The head is keyed by its root
# transaction, and a new transaction is a new object, so a committed one is never reused.


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
) -> AuditEvent:
    """Add an audit row to the current transaction (it commits or rolls back with the action).

    ``details`` must hold ids and codes only, never names, IINs, addresses or free text.
    """
    entry = AuditEntry(action, object_type, object_id, outcome, details)
    (values,) = _chained([entry], actor_user_id, actor_agency_id)
    event = AuditEvent(**values)
    db.session.add(event)
    db.session.flush()
    _remember_head(event.row_hash)
    return event


def record_many(entries: Sequence[AuditEntry], *, actor_user_id: int | None = None,
                actor_agency_id: int | None = None) -> None:
    """Add several chained audit rows in one statement (a sweep that expires a thousand
    referrals writes a thousand rows: one round trip instead of a thousand).

    The rows are chained in the given order and sent as one executemany, whose rows the
    database inserts one after another in that order, so id order is chain order.
    """
    if not entries:
        return
    rows = _chained(entries, actor_user_id, actor_agency_id)
    db.session.execute(insert(AuditEvent), rows)
    _remember_head(rows[-1]["row_hash"])


def _chained(entries: Sequence[AuditEntry], actor_user_id: int | None,
             actor_agency_id: int | None) -> list[dict[str, Any]]:
    """Column values of ``entries`` as rows, each linked to the one before (the chain head
    first)."""
    actor = optional_actor()
    if actor is not None and not actor.is_system:
        actor_user_id = actor_user_id or actor.user_id
        actor_agency_id = actor_agency_id or actor.agency_id
    source_ip = request.remote_addr if has_request_context() else None
    created_at = utcnow()
    prev_hash = _last_hash()
    rows = []
    for entry in entries:
        values: dict[str, Any] = {
            "created_at": created_at, "actor_user_id": actor_user_id,
            "actor_agency_id": actor_agency_id, "action": entry.action,
            "object_type": entry.object_type,
            "object_id": None if entry.object_id is None else str(entry.object_id),
            "outcome": entry.outcome, "source_ip": source_ip, "details": entry.details,
            "prev_hash": prev_hash}
        values["row_hash"] = prev_hash = hashlib.sha256(
            _canonical_values([values[name] for name in _HASHED])).hexdigest()
        rows.append(values)
    return rows


def _remember_head(row_hash: str) -> None:
    session = db.session()
    session.info[_HEAD] = (session.get_transaction(), row_hash)


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
