"""Second factors of a user: an authenticator app (TOTP), passkeys and one-time recovery codes.

Not scoped rows: like users and sessions they are read only by the accounts code, always for one
user id the caller already holds (the logged-in user, the user logging in, or a user that
``service.get_user_for`` let a manager see).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class TotpFactor(db.Model):
    """One authenticator app per user; counts once ``confirmed_at`` is set (a code was shown).

    ``secret`` is AES-GCM ciphertext under a key derived from SECRET_KEY (second_factor.py).
    ``last_used_step``: the newest 30-second step accepted, so that a code works once.
    """

    __tablename__ = "totp_factors"
    __unscoped__ = "a user's own second factor, read by the signed-in user's id only"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_step: Mapped[int | None] = mapped_column(Integer)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passkey(db.Model):
    """A WebAuthn credential (passkey or security key) registered by the user."""

    __tablename__ = "passkeys"
    __unscoped__ = "a user's own second factor, read by the signed-in user's id only"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(db.Model):
    """One recovery code, stored as the SHA-256 of its 80 random bits (second_factor.py)."""

    __tablename__ = "recovery_codes"
    __unscoped__ = "a user's own recovery codes (hashes), read by the signed-in user's id only"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
