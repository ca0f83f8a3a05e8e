"""Minting and checking API tokens: the secret is shown once and only its hash is kept."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from referral.access.permissions import Role
from referral.accounts.models import User
from referral.api.models import ApiToken
from referral.extensions import db
from referral.models_base import utcnow

# "rfa_" marks our tokens so that secret scanners (and people) can recognise a leaked one.
TOKEN_PREFIX = "rfa_"  # noqa: S105 - a marker, not a secret


_RANK = {Role.OFFICER.value: 1, Role.AGENCY_MANAGER.value: 2}


def role_fits_holder(role: str, holder: User) -> bool:
    """A token carries at most what its holder is: an officer's token is an officer's, a
    coordinator's or an administrator's only the same role's."""
    if role == holder.role:
        return True
    return _RANK.get(role, 99) <= _RANK.get(holder.role, 0)


def hash_token(raw: str) -> str:
    """SHA-256 is enough: the token carries 256 random bits, so no slow hash is needed."""
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Minted:
    """A new token: ``secret`` is shown to its creator once and never stored."""

    token: ApiToken
    secret: str


def mint(user: User, *, name: str, role: str | None = None, agency_id: int | None = None,
         expires_at: datetime | None = None, created_by_id: int | None = None) -> Minted:
    """Add a token acting as ``user`` (flushed, not committed: the caller's action commits)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, user_id=user.id, agency_id=agency_id or user.agency_id,
                     role=role or user.role, token_hash=hash_token(secret),
                     prefix=secret[:12], created_by_id=created_by_id, expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    return Minted(token, secret)


def find_usable(raw: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token for ``raw``: not revoked, not expired, its user still active, still of
    the token's agency and still holding at least the token's role (a holder moved to another
    agency or given a lesser role takes their tokens' power with them at once)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.execute(
        select(ApiToken).options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == hash_token(raw))
    ).scalar_one_or_none()
    now = now or utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    holder = token.user
    if (not holder.is_active_account or holder.agency_id != token.agency_id
            or not role_fits_holder(token.role, holder)):
        return None
    return token
