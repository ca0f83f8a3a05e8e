"""Cross-agency targets of the second-factor routes (tests/test_cross_agency_404.py)."""

from __future__ import annotations

from typing import Any

from referral.accounts.factors import Passkey
from referral.extensions import db


def _officers_passkey(w: dict[str, Any], _r: dict[str, Any]) -> Any:
    from tests.test_cross_agency_404 import Target

    key = Passkey(user_id=w["officer"].id, credential_id="cross-agency-key", public_key=b"k",
                  sign_count=0, name="Key")
    db.session.add(key)
    db.session.flush()
    # Only its owner removes a passkey; an insider's GET is not offered (POST only).
    return Target({"passkey_id": key.id}, insider=None)


def _reset(w: dict[str, Any], _r: dict[str, Any]) -> Any:
    from tests.test_cross_agency_404 import ADMIN_MANAGES_ALL, Target

    return Target({"user_id": w["officer"].id}, insider=None, exempt=ADMIN_MANAGES_ALL)


def _officers_session(w: dict[str, Any], _r: dict[str, Any]) -> Any:
    from referral.accounts.models import UserSession
    from tests.test_cross_agency_404 import Target

    row = UserSession(token_hash="cross-agency-session", user_id=w["officer"].id)
    db.session.add(row)
    db.session.flush()
    # Only its owner ends a session (POST only); anyone else's attempt is 404.
    return Target({"session_id": row.id}, insider=None)


def _password_reset(_w: dict[str, Any], _r: dict[str, Any]) -> Any:
    import uuid

    from tests.test_cross_agency_404 import Target

    # A bearer secret: an unknown token shows the same 'link not valid' page (404) to everyone.
    return Target({"token": uuid.uuid4().hex}, insider=None)


TARGETS = {
    "accounts.factors.passkey_remove": _officers_passkey,
    "accounts.factors.reset": _reset,
    "accounts.end_one_session": _officers_session,
    "accounts.password_reset": _password_reset,
}
