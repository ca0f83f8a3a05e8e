"""Account rules: logging in, passwords, and managing users. Callers commit."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from referral.access.permissions import Permission, Role, role_can
from referral.access.scope import NAMED_ON_SEALED, Actor
from referral.accounts import throttle
from referral.accounts.models import Invitation, User
from referral.accounts.passwords import hash_password, password_problems, verify_password
from referral.accounts.sessions import (
    mint_link_token,
    revoke_user_sessions,
    session_value,
    token_hash,
)
from referral.agencies.models import Agency, Region
from referral.audit import service as audit
from referral.errors import DomainError, NotVisible, StaleEdit
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow


class LoginRefused(DomainError):
    """Login failed; ``locked_until`` is set when the identifier is locked."""

    def __init__(self, message: str, *, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


def actor_for(user: User) -> Actor:
    """The actor of ``user``, with what their session's statement learnt of them (if any)."""
    named = session_value(NAMED_ON_SEALED, user.id)
    return Actor(
        user_id=user.id,
        agency_id=user.agency_id,
        role=user.role,
        region_ids=user.region_codes if user.role == Role.COORDINATOR else frozenset(),
        named_on_sealed=None if named is None else bool(named),
    )


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == throttle.normalise_email(email))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class PasswordCheck:
    """A password checked against the hash stored when it was read (``check_password``)."""

    email: str
    password_hash: str | None
    ok: bool


def check_password(email: str, password: str) -> PasswordCheck:
    """Check ``password`` against the stored hash, writing nothing.

    Why apart from ``authenticate``: argon2 costs about half a second by design. The login
    view checks first and ends that reading transaction, so that on SQLite the single write
    lock, which ``authenticate``'s transaction takes up front, is not held while the hash is
    computed (every other user's page would wait for it).
    """
    email = throttle.normalise_email(email)
    user = find_user_by_email(email)
    password_hash = user.password_hash if user else None
    return PasswordCheck(email, password_hash, verify_password(password_hash, password))


def authenticate(email: str, password: str, *, checked: PasswordCheck | None = None,
                 address: str | None = None) -> User:
    """Return the user, or raise LoginRefused with one message for every kind of failure.

    ``checked``: the outcome of ``check_password`` for this e-mail address, used if the stored
    hash is still the one it was checked against (else the password is checked again here).
    ``address``: the client's address; failures lock this (account, address) pair only.
    """
    email = throttle.normalise_email(email)
    invalid = _("The e-mail address or password is not correct.")
    locked = throttle.locked_until(email, address)
    if locked:
        if checked is None:
            verify_password(None, password)  # same cost as a real attempt
        audit.record("login", object_type="user", outcome="locked", details={"reason": "locked"})
        raise LoginRefused(_locked_message(), locked_until=locked)
    user = find_user_by_email(email)
    password_hash = user.password_hash if user else None
    if checked is not None and (checked.email, checked.password_hash) == (email, password_hash):
        ok = checked.ok
    else:
        ok = verify_password(password_hash, password)
    # A service account (referral/api) acts only through its API tokens: it never signs in.
    if not ok or user is None or not user.is_active or user.is_service_account:
        now_locked = throttle.register_failure(email, address)
        audit.record(
            "login",
            object_type="user",
            object_id=user.id if user else None,
            outcome="failure",
            actor_user_id=user.id if user else None,
        )
        raise LoginRefused(_locked_message() if now_locked else invalid)
    throttle.clear_failures(email, address)
    _stamp_last_login(user)
    audit.record(
        "login", object_type="user", object_id=user.id,
        actor_user_id=user.id, actor_agency_id=user.agency_id,
    )
    return user


def _stamp_last_login(user: User) -> None:
    """Record the login time without bumping the version: an open edit form stays valid."""
    now = utcnow()
    db.session.execute(update(User.__table__).where(User.__table__.c.id == user.id)
                       .values(last_login_at=now))
    set_committed_value(user, "last_login_at", now)


def _locked_message() -> str:
    minutes = int(current_app.config["LOGIN_LOCKOUT_PERIOD"].total_seconds() // 60)
    return _(
        "Too many failed attempts. Login to this account from here is paused for %(m)d minutes. "
        "To log in sooner, reset your password with “Forgot your password?”.",
        m=minutes,
    )


def check_new_password(password: str, confirm: str, *, email: str) -> None:
    problems = password_problems(password, email=email)
    if problems:
        raise DomainError(" ".join(problems), field="new_password")
    if password != confirm:
        raise DomainError(_("The two passwords do not match."), field="confirm_password")


def change_password(
    user: User, *, current: str, new: str, confirm: str, keep_token: str | None
) -> None:
    """Change one's own password; every other session of the user ends."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_("The current password is not correct."), field="current_password")
    check_new_password(new, confirm, email=user.email)
    if verify_password(user.password_hash, new):
        raise DomainError(_("Choose a password different from the current one."),
                          field="new_password")
    _set_password(user, new, must_change=False)
    revoke_user_sessions(user.id, "password_changed", keep_token=keep_token)
    audit.record("user.password_change", object_type="user", object_id=user.id)


def _set_password(user: User, password: str, *, must_change: bool) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.password_changed_at = utcnow()


# --- managing users -------------------------------------------------------------------------


def can_manage(actor: Actor, target_agency_id: int, target_role: str) -> bool:
    """Administrators manage everyone; agency managers manage caseworkers of their own agency."""
    if actor.is_system or role_can(actor.role, Permission.USERS_MANAGE_ALL):
        return True
    return (
        role_can(actor.role, Permission.USERS_MANAGE_OWN_AGENCY)
        and actor.agency_id == target_agency_id
        and target_role in (Role.OFFICER, Role.AGENCY_MANAGER)
    )


def list_users_for(actor: Actor) -> list[User]:
    query = select(User).order_by(User.full_name)
    if not role_can(actor.role, Permission.USERS_MANAGE_ALL):
        if not role_can(actor.role, Permission.USERS_MANAGE_OWN_AGENCY):
            return []
        query = query.where(User.agency_id == actor.agency_id)
    return list(db.session.execute(query).scalars())


def get_user_for(actor: Actor, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not can_manage(actor, user.agency_id, user.role):
        raise NotVisible("user", user_id)
    return user


@dataclass(frozen=True)
class UserInput:
    email: str
    full_name: str
    agency_id: int
    role: str
    region_codes: tuple[str, ...] = ()
    phone: str = ""
    locale: str | None = None


def _validate_user_input(actor: Actor, data: UserInput, *, existing: User | None) -> None:
    if db.session.get(Agency, data.agency_id) is None:
        raise DomainError(_("Choose an agency."), field="agency_id")
    if data.role not in set(Role):
        raise DomainError(_("Choose a role."), field="role")
    if not can_manage(actor, data.agency_id, data.role):
        raise DomainError(_("You may not give this role or agency."), field="role")
    email = throttle.normalise_email(data.email)
    clash = find_user_by_email(email)
    if clash is not None and clash is not existing:
        raise DomainError(_("Another user already has this e-mail address."), field="email")
    if data.role == Role.COORDINATOR and not data.region_codes:
        raise DomainError(_("A coordinator needs at least one region."), field="region_codes")


def _apply(user: User, data: UserInput) -> None:
    user.email = throttle.normalise_email(data.email)
    user.full_name = data.full_name.strip()
    user.agency_id = data.agency_id
    user.role = data.role
    user.phone = data.phone.strip()
    user.locale = data.locale or None
    codes = data.region_codes if data.role == Role.COORDINATOR else ()
    user.regions = _regions(codes)


def _regions(codes: Iterable[str]) -> list[Region]:
    codes = list(codes)
    if not codes:
        return []
    return list(db.session.execute(select(Region).where(Region.code.in_(codes))).scalars())


def create_user(
    actor: Actor, data: UserInput, *, initial_password: str | None = None
) -> tuple[User, str | None]:
    """Create a user with an initial password (to change at first login) or an invitation.

    Returns the user and, for an invitation, the one-time token to put in the link.
    """
    _validate_user_input(actor, data, existing=None)
    user = User(is_active_account=True)
    _apply(user, data)
    invite_token = None
    if initial_password:
        check_new_password(initial_password, initial_password, email=data.email)
        _set_password(user, initial_password, must_change=True)
    db.session.add(user)
    db.session.flush()
    if not initial_password:
        invite_token = create_invitation(user)
    audit.record("user.create", object_type="user", object_id=user.id,
                 details={"role": user.role, "agency_id": user.agency_id})
    return user, invite_token


def update_user(actor: Actor, user: User, data: UserInput, *, expected_version: int) -> User:
    if user.version != expected_version:
        raise StaleEdit(_("Someone else changed this user while you were editing. Your changes "
                          "are still in the form; compare them with the saved values shown and "
                          "save again."))
    _validate_user_input(actor, data, existing=user)
    old_role, old_agency = user.role, user.agency_id
    _apply(user, data)
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StaleEdit(_("Someone else changed this user while you were editing. Your changes "
                          "are still in the form; compare them with the saved values shown and "
                          "save again.")) from exc
    if (old_role, old_agency) != (user.role, user.agency_id):
        revoke_user_sessions(user.id, "permissions_changed")
    audit.record("user.update", object_type="user", object_id=user.id,
                 details={"role": user.role, "agency_id": user.agency_id})
    return user


def set_active(actor: Actor, user: User, active: bool) -> None:
    """Deactivating ends the user's sessions at once."""
    if actor.user_id == user.id and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    user.is_active_account = active
    if not active:
        revoke_user_sessions(user.id, "deactivated")
    audit.record("user.activate" if active else "user.deactivate",
                 object_type="user", object_id=user.id)


def reset_password(actor: Actor, user: User) -> str:
    """Clear the password and issue a fresh invitation link; the user's sessions end."""
    user.password_hash = None
    user.must_change_password = False
    revoke_user_sessions(user.id, "password_reset")
    token = create_invitation(user)
    audit.record("user.password_reset", object_type="user", object_id=user.id)
    return token


INVITATION_KIND = "account.invitation"


def create_invitation(user: User) -> str:
    """A one-time link for the page, and an e-mail to the user with a link of its own (its
    token made at send time: referral/accounts/account_mail.py)."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=token_hash(token), user_id=user.id,
        expires_at=utcnow() + current_app.config["INVITE_LIFETIME"],
    )
    db.session.add(invitation)
    db.session.flush()
    emit(INVITATION_KIND, subject_type="invitation", subject_id=invitation.id, user_id=user.id)
    return token


def mint_invitation_mail_token(invitation_id: int) -> str | None:
    """A fresh token for the invitation's e-mail (a resent e-mail's link replaces the earlier
    one); None when the invitation is used or expired."""
    return mint_link_token(Invitation.mail_token_hash, invitation_id)


def find_invitation(token: str) -> Invitation | None:
    """A usable invitation, or None (unknown, used or expired all look the same)."""
    hashed = token_hash(token)
    inv = db.session.execute(
        select(Invitation).where(or_(Invitation.token_hash == hashed,
                                     Invitation.mail_token_hash == hashed))
    ).scalar_one_or_none()
    if inv is None or inv.used_at is not None or inv.expires_at < utcnow():
        return None
    return inv


def accept_invitation(token: str, *, password: str, confirm: str) -> User:
    inv = find_invitation(token)
    if inv is None:
        raise DomainError(_("This link is no longer valid. Ask your manager for a new one."))
    check_new_password(password, confirm, email=inv.user.email)
    _set_password(inv.user, password, must_change=False)
    inv.used_at = utcnow()
    # Any other open link for this user (an earlier invitation or reset) is spent too.
    db.session.execute(
        update(Invitation).where(Invitation.user_id == inv.user_id, Invitation.used_at.is_(None))
        .values(used_at=inv.used_at).execution_options(synchronize_session=False))
    audit.record("user.invitation_accept", object_type="user", object_id=inv.user_id,
                 actor_user_id=inv.user_id, actor_agency_id=inv.user.agency_id)
    return inv.user

