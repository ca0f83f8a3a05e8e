"""Login throttling per identifier, so that a known and an unknown e-mail answer the same way.

The login counts failures per (account, client address): after LOGIN_MAX_FAILURES that pair is
locked, so whoever guesses from one place cannot lock the account's owner out from another
(the account as a whole is only slowed, by the rate limits in ``ratelimit``). Without an
address the identifier is the account alone. A password reset lifts every lock on the account.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from referral.accounts.models import LoginThrottle
from referral.extensions import db
from referral.models_base import utcnow


def identifier_hash(email: str, address: str | None = None) -> str:
    key = normalise_email(email) if address is None else f"{normalise_email(email)}\n{address}"
    return hashlib.sha256(key.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _row(email: str, address: str | None = None) -> LoginThrottle | None:
    return db.session.execute(
        select(LoginThrottle)
        .where(LoginThrottle.identifier_hash == identifier_hash(email, address))
        .execution_options(populate_existing=True)  # counters change by UPDATE statements
    ).scalar_one_or_none()


def locked_until(email: str, address: str | None = None) -> datetime | None:
    row = _row(email, address)
    if row and row.locked_until and row.locked_until > utcnow():
        return row.locked_until
    return None


def register_failure(email: str, address: str | None = None) -> bool:
    """Count a failure; True when this failure locks the identifier.

    Atomic UPDATEs, so that parallel guesses cannot slip past the limit (lost updates) and a
    first failure raced by another does not fail on the primary key.
    """
    cfg = current_app.config
    now = utcnow()
    key = identifier_hash(email, address)
    _ensure_row(key, now, identifier_hash(email))
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


def _ensure_row(key: str, now: datetime, account: str) -> None:
    exists = db.session.execute(
        select(LoginThrottle.identifier_hash).where(LoginThrottle.identifier_hash == key)
    ).first()
    if exists:
        return
    try:
        with db.session.begin_nested():
            db.session.add(LoginThrottle(identifier_hash=key, account_hash=account, failures=0,
                                         window_started_at=now))
    except IntegrityError:
        pass  # a parallel attempt created it first


def clear_failures(email: str, address: str | None = None) -> None:
    row = _row(email, address)
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def unlock_account(email: str) -> int:
    """Lift every lock and count on the account, from any address (a password reset)."""
    account = identifier_hash(email)
    result = db.session.execute(
        delete(LoginThrottle)
        .where(or_(LoginThrottle.account_hash == account, LoginThrottle.identifier_hash == account))
        .execution_options(synchronize_session=False))
    return result.rowcount or 0
