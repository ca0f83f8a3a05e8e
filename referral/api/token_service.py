"""Who may hold which API token: creating, listing and revoking tokens, and service accounts.

Agency managers manage the tokens of their own agency (for themselves or a service account of
it, as officer or agency manager); administrators manage every agency's (for a service account
of that agency, or an administrator-role token for a system integration). A token's role never
exceeds what its creator may grant, nor what its holder is. A token an administrator makes for
an agency reads that agency's cases, so its managers are told.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from referral.access.permissions import Permission, Role, role_can
from referral.access.scope import Actor
from referral.accounts.models import User
from referral.agencies.models import Agency, Region
from referral.api.models import ApiToken
from referral.api.tokens import Minted, mint, role_fits_holder
from referral.audit import service as audit
from referral.errors import DomainError, NotVisible
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.kinds import register_kind
from referral.notifications.links import register_target

DEFAULT_DAYS = 90
CREATED_FOR_AGENCY = "api_token.created_for_agency"
AGENCY_ROLES = (Role.OFFICER.value, Role.AGENCY_MANAGER.value)
# Service accounts never receive mail: an address that can never be delivered to (RFC 2606).
SERVICE_ACCOUNT_DOMAIN = "service-accounts.invalid"

register_kind(CREATED_FOR_AGENCY, _l("An API token was created for your agency"),
              _l("An API token was created for your agency."), ("owner_agency_managers",))
register_target("api_token", "api_tokens.index", "")


@dataclass(frozen=True)
class TokenRequest:
    """What the create form (or the CLI) asks for. Exactly one holder: ``holder_id`` (oneself
    or an existing service account) or ``service_account_name`` (a new one, in ``agency_id``)."""

    name: str
    role: str
    days: int = DEFAULT_DAYS
    holder_id: int | None = None
    service_account_name: str | None = None
    agency_id: int | None = None


def is_admin(actor: Actor) -> bool:
    """Administrators, and the system (the CLI): every agency's tokens."""
    return actor.is_system or role_can(actor.role, Permission.USERS_MANAGE_ALL)


def may_manage_tokens(actor: Actor) -> bool:
    """Agency managers (their agency) and administrators (every agency)."""
    return is_admin(actor) or role_can(actor.role, Permission.USERS_MANAGE_OWN_AGENCY)


def _manages_agency(actor: Actor, agency_id: int) -> bool:
    return is_admin(actor) or (may_manage_tokens(actor) and actor.agency_id == agency_id)


def grantable_roles(actor: Actor) -> tuple[str, ...]:
    """The roles the actor may put on a token (before the holder's own ceiling)."""
    if is_admin(actor):
        return (*AGENCY_ROLES, Role.COORDINATOR.value, Role.ADMINISTRATOR.value)
    return AGENCY_ROLES if may_manage_tokens(actor) else ()


def max_days() -> int:
    return int(current_app.config["API_TOKEN_MAX_DAYS"])


def list_tokens(actor: Actor) -> list[ApiToken]:
    """The tokens the actor manages, newest first (administrators: every agency's)."""
    if not may_manage_tokens(actor):
        return []
    query = (select(ApiToken).options(selectinload(ApiToken.user))
             .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    if not is_admin(actor):
        query = query.where(ApiToken.agency_id == actor.agency_id,
                            ApiToken.role.in_(AGENCY_ROLES))
    return list(db.session.execute(query).scalars())


def get_token_for(actor: Actor, token_id: int) -> ApiToken:
    """A token the actor manages, or NotVisible (404)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or not _manages_agency(actor, token.agency_id) or (
            not is_admin(actor) and token.role not in AGENCY_ROLES):
        raise NotVisible("api_token", token_id)
    return token


def holders_for(actor: Actor) -> list[User]:
    """Who a new token may act as: oneself (agency managers) and the service accounts managed."""
    query = select(User).where(User.is_service_account.is_(True),
                               User.is_active_account.is_(True)).order_by(User.full_name)
    if not is_admin(actor):
        query = query.where(User.agency_id == actor.agency_id, User.role.in_(AGENCY_ROLES))
    found = list(db.session.execute(query).scalars())
    if not is_admin(actor) and may_manage_tokens(actor) and actor.user_id is not None:
        found.insert(0, db.session.get(User, actor.user_id))
    return found


def create_service_account(actor: Actor, *, agency_id: int, name: str, role: str) -> User:
    """A user of the agency that acts only through tokens: no password, never signs in."""
    agency = db.session.get(Agency, agency_id)
    if not _manages_agency(actor, agency_id) or agency is None:
        raise NotVisible("agency", agency_id)
    if role not in grantable_roles(actor):
        raise DomainError(_("You may not give this role."), field="role")
    user = User(email=f"api-{secrets.token_hex(8)}@{SERVICE_ACCOUNT_DOMAIN}",
                full_name=name.strip(), agency_id=agency_id, role=role, password_hash=None,
                is_service_account=True)
    if role == Role.COORDINATOR:  # a coordinator service account reads its agency's region
        user.regions = [db.session.get(Region, agency.region_code)]
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", object_type="user", object_id=user.id,
                 details={"service_account": True, "role": role})
    return user


def _holder(actor: Actor, request: TokenRequest) -> User:
    if request.holder_id is None:
        name = (request.service_account_name or "").strip()
        if not name:
            raise DomainError(_("Name the new service account."), field="service_account_name")
        agency_id = request.agency_id if is_admin(actor) else actor.agency_id
        if agency_id is None:
            raise DomainError(_("Choose the agency."), field="agency_id")
        return create_service_account(actor, agency_id=agency_id, name=name, role=request.role)
    holder = db.session.get(User, request.holder_id)
    if holder is None or not holder.is_active:
        raise DomainError(_("Choose who the token acts as."), field="holder_id")
    own = holder.id == actor.user_id and not is_admin(actor)
    if not own and not (holder.is_service_account and _manages_agency(actor, holder.agency_id)):
        raise NotVisible("user", holder.id)
    return holder


def _check_request(actor: Actor, request: TokenRequest) -> None:
    if not may_manage_tokens(actor):
        raise NotVisible("api_token", None)
    if not request.name.strip():
        raise DomainError(_("This field is required."), field="name")
    if request.role not in grantable_roles(actor):
        raise DomainError(_("You may not give this role."), field="role")
    if not 1 <= request.days <= max_days():
        raise DomainError(_("Choose between 1 and %(max)d days.", max=max_days()),
                          field="days")


def create_token(actor: Actor, request: TokenRequest) -> Minted:
    """Mint a token (the caller's action commits); its secret is in the result, only there."""
    _check_request(actor, request)
    holder = _holder(actor, request)
    if not role_fits_holder(request.role, holder):
        raise DomainError(_("The token's role may not exceed its holder's role."), field="role")
    minted = mint(holder, name=request.name.strip(), role=request.role,
                  agency_id=holder.agency_id, created_by_id=actor.user_id,
                  expires_at=utcnow() + timedelta(days=request.days))
    token = minted.token
    audit.record("api_token.create", object_type="api_token", object_id=token.id,
                 details={"role": token.role, "agency_id": token.agency_id,
                          "holder_id": holder.id, "days": request.days})
    if is_admin(actor) and token.role in AGENCY_ROLES:
        # Not the agency's own managers made it: they learn that their cases can be read.
        emit(CREATED_FOR_AGENCY, subject_type="api_token", subject_id=token.id,
             owner_agency_id=token.agency_id)
    return minted


def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    """Stop a token at once: the next call with it is refused (401)."""
    token = get_token_for(actor, token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("api_token.revoke", object_type="api_token", object_id=token.id,
                     details={"agency_id": token.agency_id})
    return token
