"""Self-service password reset: asked for by e-mail address, completed with a one-time link.

Asking answers the same whether the address is known or not (the view also evens out the time):
an abuser must not learn whether a partner has an account. For an active account a row is
written and an event emitted; the e-mail (referral/accounts/account_mail.py) makes the token
when it is composed and the row keeps only its hash. Completing it sets the password, ends all
the user's sessions, consumes the link (and any other open one) and lifts the login locks.
Callers commit.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from referral.accounts import throttle
from referral.accounts.models import PasswordReset, User
from referral.accounts.service import _set_password, check_new_password, find_user_by_email
from referral.accounts.sessions import mint_link_token, revoke_user_sessions, token_hash
from referral.audit import service as audit
from referral.errors import DomainError
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow

RESET_KIND = "account.password_reset"


def request_reset(email: str) -> None:
    """Start a reset for the account with this address, if there is an active one."""
    user = find_user_by_email(email)
    if user is None or not user.is_active or user.is_service_account:  # no sign-in: no reset
        audit.record("user.password_reset_request", object_type="user", outcome="failure")
        return
    now = utcnow()
    reset = PasswordReset(user_id=user.id, created_at=now,
                          expires_at=now + current_app.config["PASSWORD_RESET_LIFETIME"])
    db.session.add(reset)
    db.session.flush()
    emit(RESET_KIND, subject_type="password_reset", subject_id=reset.id, user_id=user.id)
    audit.record("user.password_reset_request", object_type="user", object_id=user.id,
                 actor_user_id=user.id, actor_agency_id=user.agency_id)


def find_reset(token: str) -> PasswordReset | None:
    """A usable reset for ``token``, or None (unknown, used and expired look the same)."""
    if not token:
        return None
    row = db.session.execute(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    if not row.user.is_active:
        return None
    return row


def complete_reset(token: str, *, password: str, confirm: str) -> User:
    """Set the new password from a reset link; the link works once."""
    invalid = _("This link is no longer valid. Ask for a new one on the login page.")
    reset = find_reset(token)
    if reset is None:
        raise DomainError(invalid)
    user = reset.user
    check_new_password(password, confirm, email=user.email)
    now = utcnow()
    # Conditional: of two submissions of one link, exactly one sets the password.
    claimed = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise DomainError(invalid)
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    _set_password(user, password, must_change=False)
    revoke_user_sessions(user.id, "password_reset")
    throttle.unlock_account(user.email)
    audit.record("user.password_reset_complete", object_type="user", object_id=user.id,
                 actor_user_id=user.id, actor_agency_id=user.agency_id)
    return user


def mint_token(reset_id: int) -> str | None:
    """A fresh token for the e-mail of reset ``reset_id`` (only the newest e-mail's link works);
    None when the reset is used or expired."""
    return mint_link_token(PasswordReset.token_hash, reset_id)
