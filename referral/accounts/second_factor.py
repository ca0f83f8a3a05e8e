"""Second factors: who must have one, the authenticator app (TOTP), removal and reset.

Recovery codes are in recovery_codes.py, passkeys in passkeys.py; the login step and the pages
in views/second_factor.py. Services flush; the view commits.

The TOTP secret is kept encrypted: AES-GCM under a key derived (HKDF-SHA256) from SECRET_KEY,
bound to the user's id, so a copy of the database alone does not give anyone's codes. Changing
SECRET_KEY therefore makes every enrolled authenticator app unreadable: its users then sign in
with a passkey or a recovery code, or are reset by a manager, and enrol again.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from referral.access.permissions import Permission, Role, role_can
from referral.access.scope import Actor
from referral.accounts import throttle
from referral.accounts.factors import Passkey, RecoveryCode, TotpFactor
from referral.accounts.models import User
from referral.accounts.sessions import register_session_column, revoke_user_sessions, session_value
from referral.audit import service as audit
from referral.config import ConfigurationError
from referral.errors import DomainError
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow
from referral.sealing import open_sealed, seal

TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
TOTP_DRIFT_STEPS = 1  # accept the previous and the next code too (clock drift, slow typing)
HAS_FACTOR = "has_second_factor"
# Failed factor attempts count toward the login lockout of the (account, client address) pair
# like failed passwords (throttle.py), and also on a counter of the account's own, kept under
# the pseudo-address below (never a real one): a correct password clears its pair's count, so
# without this one guessing could go on four codes at a time between password logins, or from
# many addresses at once. It needs the password to spend, so it locks no one out from elsewhere
# who does not have it; a password reset lifts it with the other locks (throttle.unlock_account).
FACTOR_COUNTER = "second-factor"


# --- policy --------------------------------------------------------------------------------------


def required_roles(setting: Any = None) -> frozenset[str]:
    """The roles that must have a second factor, from SECOND_FACTOR_ROLES.

    "case_readers" stands for every role whose permissions include reading case content
    (access/permissions.py), so that a role given that permission later is covered at once.
    """
    raw = current_app.config.get("SECOND_FACTOR_ROLES") if setting is None else setting
    names = {part.strip().lower() for part in str(raw or "none").split(",") if part.strip()}
    if names <= {"none"}:
        return frozenset()
    if "all" in names:
        return frozenset(r.value for r in Role)
    roles = set()
    for name in names:
        if name == "case_readers":
            roles |= {r.value for r in Role if role_can(r, Permission.CASE_READ)}
        elif name in {r.value for r in Role}:
            roles.add(name)
        else:
            raise ConfigurationError(f"SECOND_FACTOR_ROLES: unknown role {name!r}")
    return frozenset(roles)


def is_required(user: User) -> bool:
    return user.role in required_roles()


def _has_factor_clause(user_id: Any) -> ColumnElement[bool]:
    return or_(
        exists(select(TotpFactor.id).where(TotpFactor.user_id == user_id,
                                           TotpFactor.confirmed_at.is_not(None))),
        exists(select(Passkey.id).where(Passkey.user_id == user_id)),
    )


@register_session_column(HAS_FACTOR)
def _has_factor_with_session(user_id: Any) -> ColumnElement[bool]:
    """Read with every session, so that the enrolment gate costs no query of its own."""
    return _has_factor_clause(user_id)


def has_factor(user_id: int) -> bool:
    """Whether the user has a confirmed authenticator app or a passkey."""
    held = session_value(HAS_FACTOR, user_id)
    if held is not None:
        return bool(held)
    return bool(db.session.execute(select(_has_factor_clause(user_id))).scalar())


@dataclass(frozen=True)
class FactorSummary:
    totp: TotpFactor | None
    passkeys: list[Passkey]
    recovery_left: int
    recovery_total: int

    @property
    def any(self) -> bool:
        return self.totp is not None or bool(self.passkeys)


def summary(user_id: int) -> FactorSummary:
    totp = db.session.execute(select(TotpFactor).where(
        TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_not(None))).scalar()
    passkeys = list(db.session.execute(select(Passkey).where(Passkey.user_id == user_id)
                                       .order_by(Passkey.created_at, Passkey.id)).scalars())
    left, total = db.session.execute(
        select(func.count(RecoveryCode.id).filter(RecoveryCode.used_at.is_(None)),
               func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user_id)).one()
    return FactorSummary(totp, passkeys, int(left or 0), int(total or 0))


# --- the TOTP secret at rest ---------------------------------------------------------------------


_TOTP = b"referral second factor: totp secret v1"


def seal_secret(secret: str, user_id: int) -> str:
    return seal(secret, purpose=_TOTP, bound_to=f"totp:{user_id}")


def open_secret(stored: str, user_id: int) -> str | None:
    """The secret, or None when it cannot be read (another SECRET_KEY, or tampered)."""
    return open_sealed(stored, purpose=_TOTP, bound_to=f"totp:{user_id}")


# --- authenticator app ---------------------------------------------------------------------------


def normalise_code(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if ch not in " -\t").upper()


def looks_like_totp(code: str) -> bool:
    return len(code) == TOTP_DIGITS and code.isdigit()


def start_totp(user: User) -> TotpFactor:
    """A new, unconfirmed secret for the user (replacing an unconfirmed one)."""
    found = db.session.execute(select(TotpFactor).where(TotpFactor.user_id == user.id)).scalar()
    if found is not None and found.confirmed_at is not None:
        raise DomainError(_("An authenticator app is already set up. Remove it first to set up "
                            "another."))
    if found is None:
        found = TotpFactor(user_id=user.id)
        db.session.add(found)
    found.secret = seal_secret(pyotp.random_base32(32), user.id)
    found.created_at = utcnow()
    found.last_used_step = None
    db.session.flush()
    return found


def pending_totp(user_id: int) -> TotpFactor | None:
    return db.session.execute(select(TotpFactor).where(
        TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_(None))).scalar()


def issuer() -> str:
    host = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "referral"
    return f"{_('Referral')} ({host})"


def provisioning(user: User, factor: TotpFactor) -> tuple[str, str]:
    """(the secret for typing in, grouped by four; the QR code as an SVG data URI)."""
    secret = open_secret(factor.secret, user.id) or ""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer())
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    # Drawn here, served inline: the secret never goes to a third-party QR service.
    svg = segno.make(uri, error="m").svg_data_uri(scale=4, border=2)
    return grouped, svg


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _consume_step(factor_id: int, step: int, now: datetime) -> bool:
    """Mark ``step`` used; False when it (or a later one) already was. One conditional UPDATE,
    so that two requests with the same code cannot both pass, on SQLite as on PostgreSQL."""
    result = db.session.execute(
        update(TotpFactor)
        .where(TotpFactor.id == factor_id,
               or_(TotpFactor.last_used_step.is_(None), TotpFactor.last_used_step < step))
        .values(last_used_step=step, last_used_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def check_totp(user_id: int, code: str, *, confirmed: bool = True,
               now: datetime | None = None) -> bool:
    """True once per code: the code is the app's for now ±1 step and newer than the last used."""
    code = normalise_code(code)
    if not looks_like_totp(code):
        return False
    query = select(TotpFactor).where(TotpFactor.user_id == user_id)
    query = query.where(TotpFactor.confirmed_at.is_not(None) if confirmed
                        else TotpFactor.confirmed_at.is_(None))
    factor = db.session.execute(query).scalar()
    if factor is None:
        return False
    secret = open_secret(factor.secret, user_id)
    now = now or utcnow()
    step = _matching_step(secret, code, now) if secret else None
    return step is not None and _consume_step(factor.id, step, now)


def confirm_totp(user: User, code: str) -> list[str] | None:
    """Activate the pending app with a code from it. Returns new recovery codes when the user
    had none left, else None. Raises DomainError when the code is wrong."""
    from referral.accounts import recovery_codes

    if not check_totp(user.id, code, confirmed=False):
        raise DomainError(_("That code is not correct. Check the time on your phone and enter "
                            "the code the app shows now."), field="one_time_code")
    factor = pending_totp(user.id)
    assert factor is not None  # noqa: S101 - check_totp found it
    factor.confirmed_at = utcnow()
    audit.record("second_factor.enrol", object_type="user", object_id=user.id,
                 details={"method": "totp"})
    db.session.flush()
    return recovery_codes.issue_if_missing(user)


# --- removing and resetting ----------------------------------------------------------------------


def _factor_count(user_id: int) -> int:
    s = summary(user_id)
    return (1 if s.totp else 0) + len(s.passkeys)


def _check_may_remove(user: User) -> None:
    if is_required(user) and _factor_count(user.id) <= 1:
        raise DomainError(_("Your role requires a second factor. Add another one before you "
                            "remove this one."))


def remove_totp(user: User) -> None:
    _check_may_remove(user)
    db.session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
    audit.record("second_factor.remove", object_type="user", object_id=user.id,
                 details={"method": "totp"})
    _after_removal(user)


def remove_passkey(user: User, passkey_id: int) -> None:
    """Remove one of the user's own passkeys; another user's id is as unknown as a wrong one."""
    found = db.session.execute(select(Passkey).where(
        Passkey.id == passkey_id, Passkey.user_id == user.id)).scalar()
    if found is None:
        from referral.errors import NotVisible

        raise NotVisible("passkey", passkey_id)
    _check_may_remove(user)
    db.session.delete(found)
    audit.record("second_factor.remove", object_type="user", object_id=user.id,
                 details={"method": "passkey", "passkey_id": passkey_id})
    _after_removal(user)


def _after_removal(user: User) -> None:
    """With no factor left, recovery codes would be a way in that nothing else guards."""
    db.session.flush()
    if _factor_count(user.id) == 0:
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def reset_factors(actor: Actor, user: User) -> None:
    """A manager's reset: every factor and recovery code goes, every session of the user ends,
    the user is told in the app (and by e-mail, without any secret). ``user`` comes from
    ``service.get_user_for``, which has checked that the actor manages them."""
    for model in (TotpFactor, Passkey, RecoveryCode):
        db.session.execute(delete(model).where(model.user_id == user.id))
    ended = revoke_user_sessions(user.id, "second_factor_reset")
    audit.record("second_factor.reset", object_type="user", object_id=user.id,
                 details={"sessions_ended": ended})
    emit("account.second_factor_reset", subject_type="second_factor", subject_id=user.id,
         user_id=user.id, reference="2FA")
    db.session.flush()


# --- failed and successful attempts at the login step --------------------------------------------


def locked_until(email: str, address: str | None) -> datetime | None:
    return throttle.locked_until(email, address) or throttle.locked_until(email, FACTOR_COUNTER)


def record_failure(user: User, method: str, *, address: str | None) -> bool:
    """Count a failed factor attempt; True when it locks the login."""
    locks_pair = throttle.register_failure(user.email, address)
    locks_factor = throttle.register_failure(user.email, FACTOR_COUNTER)
    audit.record("login.second_factor", object_type="user", object_id=user.id,
                 outcome="failure", actor_user_id=user.id, actor_agency_id=user.agency_id,
                 details={"method": method})
    return locks_pair or locks_factor


def record_success(user: User, method: str, *, address: str | None) -> None:
    throttle.clear_failures(user.email, address)
    throttle.clear_failures(user.email, FACTOR_COUNTER)
    audit.record("login.second_factor", object_type="user", object_id=user.id,
                 actor_user_id=user.id, actor_agency_id=user.agency_id,
                 details={"method": method})
