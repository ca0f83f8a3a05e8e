"""Server-side sessions: the cookie holds a random token, the database says if it still counts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from referral.accounts.models import User, UserSession
from referral.extensions import db
from referral.models_base import utcnow

LAST_SEEN_RESOLUTION = timedelta(seconds=60)  # write last_seen at most once a minute


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """Create a session row and return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=token_hash(token), user_id=user.id))
    db.session.flush()
    return token


def _expired(row: UserSession, now: datetime) -> bool:
    cfg = current_app.config
    return (
        now - row.last_seen_at > cfg["SESSION_IDLE_TIMEOUT"]
        or now - row.created_at > cfg["SESSION_ABSOLUTE_LIFETIME"]
    )


def load_session_user(token: str | None) -> User | None:
    """The user behind a live session token, or None (revoked, idle, too old, deactivated)."""
    if not token:
        return None
    # One query for the session, its user, the user's agency and regions (every request makes
    # it): the user is then in the identity map for the get() below.
    found = db.session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .options(joinedload(User.regions))
        .where(UserSession.token_hash == token_hash(token))
    ).unique().first()
    row = found[0] if found else None
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if _expired(row, now):
        row.revoked_at, row.revoked_reason = now, "expired"
        db.session.commit()
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at > LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
        db.session.commit()
    return user


def end_session(token: str | None, reason: str = "logout") -> None:
    if token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason=reason)
        )


def revoke_user_sessions(user_id: int, reason: str, *, keep_token: str | None = None) -> int:
    """End every live session of a user (deactivation, password change); returns how many."""
    query = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if keep_token:
        query = query.where(UserSession.token_hash != token_hash(keep_token))
    result = db.session.execute(query.values(revoked_at=utcnow(), revoked_reason=reason))
    return result.rowcount or 0
