"""Helpers of the second-factor tests: enrol a user directly, read codes as the app would."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy import select

from referral.accounts import second_factor as sf
from referral.accounts.factors import TotpFactor
from referral.accounts.models import User
from referral.audit.models import AuditEvent
from referral.extensions import db
from referral.models_base import utcnow


def secret_of(user: User) -> str:
    factor = db.session.execute(
        select(TotpFactor).where(TotpFactor.user_id == user.id)).scalar_one()
    return sf.open_secret(factor.secret, user.id) or ""


def code(secret: str, *, steps: int = 0, at: datetime | None = None) -> str:
    moment = (at or utcnow()).timestamp() + steps * sf.TOTP_STEP_SECONDS
    return pyotp.TOTP(secret).at(moment)


def enrol_totp(user: User) -> tuple[str, list[str]]:
    """An authenticator app set up and confirmed for ``user`` (committed); (secret, codes).

    Confirmed with the previous step's code, so that the current one is still unused."""
    sf.start_totp(user)
    secret = secret_of(user)
    codes = sf.confirm_totp(user, code(secret, steps=-1))
    db.session.commit()
    return secret, codes or []


def audit_rows(action: str) -> list[Any]:
    return list(db.session.execute(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars())
