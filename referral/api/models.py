"""API tokens and the remembered answers of idempotent POSTs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.accounts.models import User
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class ApiToken(db.Model):
    """A bearer token: shown once, kept only as its SHA-256, bound to one agency and one role."""

    __tablename__ = "api_tokens"
    __unscoped__ = ("holds no case content; read by hash to authenticate a call, and listed "
                    "by the token pages for the manager's own agency only (service checks)")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # The user the calls act as (a person, or a service account: a user who cannot sign in).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, so that a holder can tell which one a row is.
    prefix: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class IdempotentRequest(db.Model):
    """The answer given to a POST with an ``Idempotency-Key``, replayed when it is retried."""

    __tablename__ = "api_idempotent_requests"
    __unscoped__ = ("keyed by token: only the token that made the call ever reads its row, "
                    "and the stored answer holds what that call was already shown")
    __table_args__ = (
        UniqueConstraint("token_id", "key", name="uq_api_idempotent_requests_token_key"),
        Index("ix_api_idempotent_requests_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of method, path and body: the same key with another request is refused (422).
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
