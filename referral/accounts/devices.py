"""A user's own sessions: where they are logged in, and ending the ones they do not recognise."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update

from referral.accounts.models import UserSession
from referral.accounts.sessions import revoke_user_sessions, token_hash
from referral.audit import service as audit
from referral.errors import NotVisible
from referral.extensions import db
from referral.models_base import utcnow


def active_sessions(user_id: int) -> list[UserSession]:
    """The user's sessions that still count (not ended, not idle or too old), newest use first."""
    cfg = current_app.config
    now = utcnow()
    return list(db.session.execute(
        select(UserSession).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
            UserSession.last_seen_at > now - cfg["SESSION_IDLE_TIMEOUT"],
            UserSession.created_at > now - cfg["SESSION_ABSOLUTE_LIFETIME"])
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())).scalars())


def is_current(row: UserSession, current_token: str | None) -> bool:
    return bool(current_token) and row.token_hash == token_hash(current_token or "")


def end_own_session(user_id: int, session_id: int) -> None:
    """End one of the user's own sessions; someone else's (or an ended one) is NotVisible."""
    ended = db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user_id,
               UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason="ended_by_user")
        .execution_options(synchronize_session=False)).rowcount
    if ended != 1:
        raise NotVisible("user_session", session_id)
    audit.record("user.session_end", object_type="user_session", object_id=session_id)


def end_other_sessions(user_id: int, current_token: str | None) -> int:
    """End every session of the user but this one; how many ended."""
    count = revoke_user_sessions(user_id, "ended_by_user", keep_token=current_token)
    audit.record("user.sessions_end_others", object_type="user", object_id=user_id,
                 details={"count": count})
    return count
