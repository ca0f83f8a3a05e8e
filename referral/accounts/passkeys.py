"""Passkeys and security keys (WebAuthn, py_webauthn): the two ceremonies, server side.

The relying party comes from configuration (WEBAUTHN_RP_ID / WEBAUTHN_ORIGIN, else the host
and origin of PUBLIC_BASE_URL), never from the request's Host header: a phishing proxy sets
that header as it likes, and the origin check is what makes passkeys phishing-resistant.
The challenge is kept in the Flask session by the views (``Challenge``) and used once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from referral.accounts.factors import Passkey
from referral.accounts.models import User
from referral.audit import service as audit
from referral.errors import DomainError
from referral.extensions import db
from referral.models_base import utcnow

CHALLENGE_SECONDS = 300
NAME_MAX = 60


def _base() -> SplitResult:
    """PUBLIC_BASE_URL; a loopback address becomes "localhost" (the demo's 127.0.0.1): an IP
    address is never a relying-party id, and browsers treat http://localhost as secure."""
    parts = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    if parts.hostname in ("127.0.0.1", "::1"):
        parts = parts._replace(netloc="localhost" + (f":{parts.port}" if parts.port else ""))
    return parts


def rp_id() -> str:
    return current_app.config.get("WEBAUTHN_RP_ID") or _base().hostname or "localhost"


def origin() -> str:
    configured = current_app.config.get("WEBAUTHN_ORIGIN")
    if configured:
        return str(configured).rstrip("/")
    parts = _base()
    return f"{parts.scheme}://{parts.netloc}"


def user_handle(user_id: int) -> bytes:
    """An opaque handle for the authenticator: no e-mail or id stored on the key itself."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"webauthn user {user_id}".encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Challenge:
    """What the session keeps between the options and the answer."""

    purpose: str  # "register" or "login"
    user_id: int
    challenge: str  # base64url
    issued: float

    def to_session(self) -> dict[str, Any]:
        return {"p": self.purpose, "u": self.user_id, "c": self.challenge, "t": self.issued}

    @classmethod
    def from_session(cls, data: Any, *, purpose: str, user_id: int) -> Challenge | None:
        if not isinstance(data, dict):
            return None
        found = cls(str(data.get("p")), int(data.get("u") or 0), str(data.get("c") or ""),
                    float(data.get("t") or 0))
        fresh = time.time() - found.issued < CHALLENGE_SECONDS
        if found.purpose != purpose or found.user_id != user_id or not fresh:
            return None
        return found


def _descriptors(user_id: int) -> list[PublicKeyCredentialDescriptor]:
    ids = db.session.execute(select(Passkey.credential_id).where(Passkey.user_id == user_id))
    return [PublicKeyCredentialDescriptor(id=_b64decode(c)) for c in ids.scalars()]


def _b64decode(value: str) -> bytes:
    from webauthn.helpers import base64url_to_bytes

    return base64url_to_bytes(value)


def registration_options(user: User) -> tuple[str, Challenge]:
    """(options as JSON for navigator.credentials.create, the challenge to keep)."""
    options = generate_registration_options(
        rp_id=rp_id(), rp_name=_("Referral"), user_id=user_handle(user.id),
        user_name=user.email, user_display_name=user.full_name,
        exclude_credentials=_descriptors(user.id),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED),
    )
    challenge = Challenge("register", user.id, bytes_to_base64url(options.challenge), time.time())
    return options_to_json(options), challenge


def authentication_options(user_id: int) -> tuple[str, Challenge]:
    options = generate_authentication_options(
        rp_id=rp_id(), allow_credentials=_descriptors(user_id),
        user_verification=UserVerificationRequirement.PREFERRED)
    challenge = Challenge("login", user_id, bytes_to_base64url(options.challenge), time.time())
    return options_to_json(options), challenge


def _credential(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DomainError(_("The browser's answer could not be read. Try again."))
    return data


def register(user: User, challenge: Challenge, raw_credential: str, name: str) -> Passkey:
    """Verify the browser's answer to ``registration_options`` and keep the new passkey."""
    name = (name or "").strip()[:NAME_MAX] or _("Passkey")
    try:
        verified = verify_registration_response(
            credential=_credential(raw_credential),
            expected_challenge=_b64decode(challenge.challenge),
            expected_rp_id=rp_id(), expected_origin=origin())
    except InvalidRegistrationResponse as exc:
        raise DomainError(_("The passkey could not be registered. Try again.")) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    taken = db.session.execute(select(Passkey.id).where(
        Passkey.credential_id == credential_id)).first()
    if taken:
        raise DomainError(_("This passkey is already registered."))
    passkey = Passkey(user_id=user.id, credential_id=credential_id,
                      public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, name=name)
    db.session.add(passkey)
    db.session.flush()
    audit.record("second_factor.enrol", object_type="user", object_id=user.id,
                 details={"method": "passkey", "passkey_id": passkey.id})
    return passkey


def authenticate(user_id: int, challenge: Challenge, raw_credential: str) -> Passkey | None:
    """The user's passkey that signed the challenge, or None (any failure looks the same)."""
    try:
        data = _credential(raw_credential)
    except DomainError:
        return None
    credential_id = str(data.get("rawId") or data.get("id") or "")
    passkey = db.session.execute(select(Passkey).where(
        Passkey.user_id == user_id, Passkey.credential_id == credential_id)).scalar()
    if passkey is None:
        return None
    try:
        verified = verify_authentication_response(
            credential=data, expected_challenge=_b64decode(challenge.challenge),
            expected_rp_id=rp_id(), expected_origin=origin(),
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count)
    except InvalidAuthenticationResponse:
        return None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    db.session.flush()
    return passkey
