"""Demo: two systems that call the API, so that a newcomer can try it with curl at once.

The Almaty police's information system and the Almaty crisis center's case system, each a
service account with the agency-manager role (it may register webhook endpoints) and a token
whose secret is printed in the README, as the demo passwords are. Demo data never runs in
production (``flask seed-demo`` refuses there). Idempotent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from referral.access.permissions import Role
from referral.accounts.models import User
from referral.api.models import ApiToken
from referral.api.token_service import SERVICE_ACCOUNT_DOMAIN
from referral.api.tokens import hash_token
from referral.extensions import db

# agency key, the service account's name, its token's secret
DEMO_TOKENS = (
    ("almaty_police", "Police information system (demo)",
     "rfa_demo-police-almaty-2026"),  # noqa: S105 - printed for the demo on purpose
    ("almaty_crisis", "Crisis center case system (demo)",
     "rfa_demo-crisis-almaty-2026"),  # noqa: S105 - printed for the demo on purpose
)


def seed(agencies: dict[str, Any], users: dict[str, Any]) -> None:
    for key, name, secret in DEMO_TOKENS:
        agency = agencies.get(key)
        hashed = hash_token(secret)
        if agency is None or db.session.execute(
                select(ApiToken.id).where(ApiToken.token_hash == hashed)).first() is not None:
            continue
        account = User(email=f"demo-{key.replace('_', '-')}@{SERVICE_ACCOUNT_DOMAIN}",
                       full_name=name, agency_id=agency.id, role=Role.AGENCY_MANAGER,
                       password_hash=None, is_service_account=True)
        db.session.add(account)
        db.session.flush()
        db.session.add(ApiToken(name=name, user_id=account.id, agency_id=agency.id,
                                role=Role.AGENCY_MANAGER, token_hash=hashed, prefix=secret[:12]))
    db.session.flush()
