"""Write and verify the audit trail. Every domain records through ``record``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select, text

from referral.access.scope import optional_actor
from referral.audit.models import AuditEvent
from referral.extensions import db
from referral.models_base import utcnow

GENESIS = "0" * 64
_PG_CHAIN_LOCK = 72_617_001  # advisory lock key: one writer extends the chain at a time


def _canonical(event: AuditEvent) -> bytes:
    payload = [
        event.created_at.isoformat(timespec="microseconds"),
        event.actor_user_id,
        event.actor_agency_id,
        event.action,
        event.object_type,
        event.object_id,
        event.outcome,
        event.source_ip,
        event.details,
        event.prev_hash,
    ]
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _last_hash() -> str:
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_CHAIN_LOCK})
    last = session.execute(
        select(AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    return last or GENESIS


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
    actor = optional_actor()
    if actor is not None and not actor.is_system:
        actor_user_id = actor_user_id or actor.user_id
        actor_agency_id = actor_agency_id or actor.agency_id
    event = AuditEvent(
        created_at=utcnow(),
        actor_user_id=actor_user_id,
        actor_agency_id=actor_agency_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        outcome=outcome,
        source_ip=request.remote_addr if has_request_context() else None,
        details=details,
    )
    event.prev_hash = _last_hash()
    event.row_hash = compute_hash(event)
    db.session.add(event)
    db.session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    rows_checked: int
    first_broken_id: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def _iter_events(batch: int = 5000) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).scalars().all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        db.session.expunge_all()


def verify_chain() -> ChainReport:
    """Walk the chain in id order; name the first row whose link or content does not hold."""
    expected_prev = GENESIS
    count = 0
    for event in _iter_events():
        count += 1
        if event.prev_hash != expected_prev:
            return ChainReport(count, event.id, "link to the previous row is broken")
        if compute_hash(event) != event.row_hash:
            return ChainReport(count, event.id, "row content does not match its hash")
        expected_prev = event.row_hash
    return ChainReport(count, None, None)


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
