"""Ten one-time recovery codes per user, shown once, stored as hashes.

Why SHA-256 and not argon2 like passwords: each code is 80 random bits (16 characters of
Crockford's base-32), chosen by the machine, not a person. A slow hash protects guessable
secrets; against 2^80 equally likely codes a single SHA-256 already makes a search of a stolen
table hopeless, and a fast hash lets the login step find the code by an indexed lookup instead
of running argon2 ten times (5 s at production cost) on every attempt.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, exists, select, update

from referral.accounts.factors import RecoveryCode
from referral.accounts.models import User
from referral.audit import service as audit
from referral.extensions import db
from referral.models_base import utcnow

COUNT = 10
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 16  # 16 × 5 bits = 80 bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})  # what a person may type instead


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise(code: str | None) -> str:
    return "".join(ch for ch in (code or "").upper() if ch not in " -\t").translate(_READ_AS)


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def looks_like_code(code: str) -> bool:
    code = normalise(code)
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def issue(user: User, *, audited: bool = True) -> list[str]:
    """Replace the user's codes with ten new ones; returns them for showing, once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_code() for _ in range(COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=code_hash(c)) for c in codes)
    if audited:
        audit.record("second_factor.recovery_codes_issued", object_type="user",
                     object_id=user.id, details={"count": COUNT})
    db.session.flush()
    return [display(c) for c in codes]


def issue_if_missing(user: User) -> list[str] | None:
    """New codes at a first enrolment (or when none are left unused); else None."""
    has_unused = db.session.execute(select(exists().where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))).scalar()
    return None if has_unused else issue(user)


def use(user_id: int, code: str) -> bool:
    """Spend a code; True once per code. A conditional UPDATE: two requests with one code
    cannot both succeed, on SQLite as on PostgreSQL."""
    if not looks_like_code(code):
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == code_hash(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    audit.record("second_factor.recovery_code_used", object_type="user", object_id=user_id,
                 actor_user_id=user_id)
    return True
