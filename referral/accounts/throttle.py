"""Login throttling per identifier, so that a known and an unknown e-mail answer the same way."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from sqlalchemy import select

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
    ).scalar_one_or_none()


def locked_until(email: str) -> datetime | None:
    row = _row(email)
    if row and row.locked_until and row.locked_until > utcnow():
        return row.locked_until
    return None


def register_failure(email: str) -> bool:
    """Count a failure; True when this failure locks the identifier."""
    cfg = current_app.config
    now = utcnow()
    row = _row(email)
    if row is None:
        row = LoginThrottle(
            identifier_hash=identifier_hash(email), failures=0, window_started_at=now
        )
        db.session.add(row)
    if now - row.window_started_at > cfg["LOGIN_FAILURE_WINDOW"]:
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    if row.failures >= cfg["LOGIN_MAX_FAILURES"]:
        row.locked_until = now + cfg["LOGIN_LOCKOUT_PERIOD"]
        row.failures, row.window_started_at = 0, now
        db.session.flush()
        return True
    db.session.flush()
    return False


def clear_failures(email: str) -> None:
    row = _row(email)
    if row is not None:
        db.session.delete(row)
        db.session.flush()
