"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """One audited action. Never updated or deleted: database triggers refuse both."""

    __tablename__ = "audit_events"
    __unscoped__ = (
        "read only through the audit pages, which the audit permission guards; rows hold ids, no "
        "case content")
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_actor_time", "actor_user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    source_ip: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # Not unique, not indexed (migration 0012): the chain, not an index, proves each row.
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(db.Model):
    """The chain's newest link, in one row (id 1): its hash and the hash before it.

    Writers extend the chain by updating this row, so its row lock (PostgreSQL) or the write
    lock (SQLite) orders them, and the next link is read from the row they just locked: one
    statement instead of a lock, a read of the newest audit row and the insert. Updated in place,
    unlike ``audit_events``; ``verify_chain`` checks it against the newest audit row, so rows
    removed from the end of the chain are noticed.
    """

    __tablename__ = "audit_chain_head"
    __unscoped__ = "one row of hashes that orders audit writers; no data about people or cases"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
