"""Server-side sessions: the cookie holds a random token, the database says if it still counts."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import update
from sqlalchemy.sql.elements import ColumnElement

from referral.access.scope import set_session_value_reader
from referral.accounts import session_row
from referral.accounts.device_names import device_label
from referral.accounts.models import User, UserSession
from referral.extensions import db
from referral.models_base import utcnow

LAST_SEEN_RESOLUTION = timedelta(seconds=60)  # write last_seen at most once a minute


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint_link_token(hash_column: Any, row_id: int) -> str | None:
    """A fresh token for a link e-mailed for one row (a password reset, an invitation): its hash
    replaces any earlier one, so only the newest e-mail's link works. None when the row is used
    or expired. The row's model has ``id``, ``used_at`` and ``expires_at``."""
    model = hash_column.class_
    token = secrets.token_urlsafe(32)
    minted = db.session.execute(
        update(model)
        .where(model.id == row_id, model.used_at.is_(None), model.expires_at > utcnow())
        .values({hash_column.key: token_hash(token)})
        .execution_options(synchronize_session=False)
    ).rowcount
    return token if minted == 1 else None


def start_session(user: User) -> str:
    """Create a session row and return the token for the cookie.

    In a request, the row also keeps the device (a short label, not the user agent) and the
    client address, for the user's sessions page (referral/accounts/devices.py)."""
    token = secrets.token_urlsafe(32)
    device = address = ""
    if has_request_context():
        device = device_label(request.headers.get("User-Agent", ""))
        address = (request.remote_addr or "")[:45]
    db.session.add(UserSession(token_hash=token_hash(token), user_id=user.id, device=device,
                               client_address=address))
    db.session.flush()
    return token


def _expired(last_seen_at: datetime, created_at: datetime, now: datetime) -> bool:
    cfg = current_app.config
    return (
        now - last_seen_at > cfg["SESSION_IDLE_TIMEOUT"]
        or now - created_at > cfg["SESSION_ABSOLUTE_LIFETIME"]
    )


# --- values read with the session ------------------------------------------------------------
#
# Every logged-in page also asks something about its user (the bell's unread count). Other
# packages register such a question here as a scalar subquery on the user's id, and it is read
# in the session's own statement: one statement where there was one per question, without this
# package importing theirs. The values hold for the request that read them (``session_value``).

SessionColumn = Callable[[Any], ColumnElement[Any]]
_COLUMNS: dict[str, SessionColumn] = {}
_VALUES = "_session_values"  # on flask.g: (user id, {name: value})


def register_session_column(name: str) -> Callable[[SessionColumn], SessionColumn]:
    """Read ``build(User.id)`` (a scalar subquery correlated on the user) with every session."""

    def decorator(build: SessionColumn) -> SessionColumn:
        if name in _COLUMNS:
            raise RuntimeError(f"session column {name!r} is already registered")
        _COLUMNS[name] = build
        _columns.cache_clear()
        session_row.statement.cache_clear()
        return build

    return decorator


@lru_cache(maxsize=1)
def _columns() -> tuple[tuple[str, ...], tuple[ColumnElement[Any], ...]]:
    names = tuple(_COLUMNS)
    return names, tuple(_COLUMNS[n](User.id).label(f"session_{n}") for n in names)


def session_value(name: str, user_id: int) -> Any | None:
    """The value of a registered column read with this request's session of ``user_id``; None
    when it was not read that way (no session load in this request, or ``forget_session_value``
    after a change), so the caller asks the database itself."""
    if not has_app_context():
        return None
    held = g.get(_VALUES)
    if held is None or held[0] != user_id:
        return None
    return held[1].get(name)


set_session_value_reader(session_value)


def holds_session_value(name: str) -> bool:
    """Whether this request holds a value of ``name`` read with its session (cheap: callers
    check it before looking for a change that would make it stale)."""
    if not has_app_context():
        return False
    held = g.get(_VALUES)
    return held is not None and name in held[1]


def forget_session_value(name: str) -> None:
    """A change in this request made the value stale (e.g. notifications marked read)."""
    if has_app_context():
        held = g.get(_VALUES)
        if held is not None:
            held[1].pop(name, None)


def load_session_user(token: str | None) -> User | None:
    """The user behind a live session token, or None (revoked, idle, too old, deactivated).

    One statement, every request: the session, its user, the user's agency and regions and the
    registered per-request values, as a plain row (referral/accounts/session_row.py)."""
    if not token:
        return None
    names, columns = _columns()
    row = session_row.read(db.session(), token_hash(token), columns)
    if row is None or row["s_revoked_at"] is not None:
        return None
    now = utcnow()
    if _expired(row["s_last_seen_at"], row["s_created_at"], now):
        _stamp_session(row["s_id"], revoked_at=now, revoked_reason="expired")
        return None
    if not row["u_is_active"]:
        return None
    if now - row["s_last_seen_at"] > LAST_SEEN_RESOLUTION:
        _stamp_session(row["s_id"], last_seen_at=now)
    user = session_row.persistent_from_row(db.session(), row)
    if has_app_context():
        setattr(g, _VALUES, (user.id, {name: row[f"session_{name}"] for name in names}))
    return user


def _stamp_session(session_id: int, **values: Any) -> None:
    """Write the session row's last-seen time or its expiry, committed at once."""
    db.session.execute(update(UserSession).where(UserSession.id == session_id).values(**values))
    db.session.commit()


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
