"""Users, their server-side sessions, login throttling and invitations."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.agencies.models import Agency, Region
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow

coordinator_regions = Table(
    "coordinator_regions",
    db.metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("region_code", ForeignKey("regions.code"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __unscoped__ = (
        "the staff directory: names and agencies of staff are shown to colleagues; editing is "
        "guarded by permissions")

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active_account: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    phone: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the role's guide was shown (first login); empty: show it once (referral/help).
    guide_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An API client of its agency (referral/api): acts only through its tokens, never signs in.
    is_service_account: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    agency: Mapped[Agency] = relationship(lazy="joined")
    regions: Mapped[list[Region]] = relationship(secondary=coordinator_regions)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        return bool(self.is_active_account)

    @property
    def region_codes(self) -> frozenset[str]:
        return frozenset(r.code for r in self.regions)


class UserSession(db.Model):
    """One login. The cookie carries only ``token``; revoking the row ends the session."""

    __tablename__ = "user_sessions"
    __unscoped__ = "login sessions, read by the token's hash or the signed-in user's id"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    # What the sessions page shows so that a user recognises a login: a short device label
    # ("Firefox on Windows", never the raw user agent) and the client address at login.
    device: Mapped[str] = mapped_column(String(60), default="", server_default="")
    client_address: Mapped[str] = mapped_column(String(45), default="", server_default="")

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Failed attempts per login identifier, known account or not, so both answer alike."""

    __tablename__ = "login_throttles"
    __unscoped__ = "failed-login counters keyed by hashes; no person or case data"

    identifier_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The account alone (without the client address), so that a password reset can lift every
    # lock on that account (referral/accounts/throttle.py); None on rows of other counters.
    account_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Invitation(db.Model):
    """A one-time link that lets a new user set their own password."""

    __tablename__ = "invitations"
    __unscoped__ = "one-time links read by their token's hash or by an administrator's permission"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The e-mailed link's own token, made when the e-mail is composed (the raw token never
    # sits in the outbox or the broker); the page's link keeps ``token_hash``.
    mail_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    user: Mapped[User] = relationship()


class PasswordReset(db.Model):
    """A self-service password reset asked for by e-mail address.

    The token is made when the e-mail is composed and only its hash is kept (``token_hash``
    stays empty until then); the row is used once and expires after PASSWORD_RESET_LIFETIME.
    """

    __tablename__ = "password_resets"
    __unscoped__ = "one-time links read by their token's hash"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


# Second factors have a module of their own (factors.py); imported here so that whatever loads
# the accounts models (metadata, migrations, the start-up scope check) has their tables too.
from referral.accounts import factors as _factors  # noqa: E402, F401
