"""Login throttling per identifier, so that a known and an unknown e-mail answer the same way."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from referral.accounts.models import LoginThrottle
from referral.extensions import db
from referral.models_base import utcnow


def identifier_hash(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _row(email: str) -> LoginThrottle | None:
    return db.session.execute(
        select(LoginThrottle).where(LoginThrottle.identifier_hash == identifier_hash(email))
        .execution_options(populate_existing=True)  # counters change by UPDATE statements
    ).scalar_one_or_none()


def locked_until(email: str) -> datetime | None:
    row = _row(email)
    if row and row.locked_until and row.locked_until > utcnow():
        return row.locked_until
    return None


def register_failure(email: str) -> bool:
    """Count a failure; True when this failure locks the identifier.

    Atomic UPDATEs, so that parallel guesses cannot slip past the limit (lost updates) and a
    first failure raced by another does not fail on the primary key.
    """
    cfg = current_app.config
    now = utcnow()
    key = identifier_hash(email)
    _ensure_row(key, now)
    this = LoginThrottle.identifier_hash == key
    db.session.execute(
        update(LoginThrottle)
        .where(this, LoginThrottle.window_started_at < now - cfg["LOGIN_FAILURE_WINDOW"])
        .values(failures=0, window_started_at=now)
        .execution_options(synchronize_session=False)
    )
    failures = db.session.execute(
        update(LoginThrottle).where(this).values(failures=LoginThrottle.failures + 1)
        .returning(LoginThrottle.failures).execution_options(synchronize_session=False)
    ).scalar_one()
    locks = failures >= cfg["LOGIN_MAX_FAILURES"]
    if locks:
        db.session.execute(
            update(LoginThrottle).where(this)
            .values(locked_until=now + cfg["LOGIN_LOCKOUT_PERIOD"], failures=0,
                    window_started_at=now)
            .execution_options(synchronize_session=False)
        )
    return locks


def _ensure_row(key: str, now: datetime) -> None:
    exists = db.session.execute(
        select(LoginThrottle.identifier_hash).where(LoginThrottle.identifier_hash == key)
    ).first()
    if exists:
        return
    try:
        with db.session.begin_nested():
            db.session.add(LoginThrottle(identifier_hash=key, failures=0, window_started_at=now))
    except IntegrityError:
        pass  # a parallel attempt created it first


def clear_failures(email: str) -> None:
    row = _row(email)
    if row is not None:
        db.session.delete(row)
        db.session.flush()
