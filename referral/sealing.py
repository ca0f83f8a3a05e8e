"""Short secrets kept sealed at rest: AES-GCM under a key derived (HKDF) from ``SECRET_KEY``.

Used for a second factor's TOTP seed and a webhook's signing secret: each use names its own
``purpose`` (a separate key) and binds the sealed value to its row (``bound_to``, the
associated data), so a value copied to another row or another use does not open.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_VERSION = "v1:"


def _aead(purpose: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        str(current_app.config["SECRET_KEY"]).encode())
    return AESGCM(key)


def seal(plain: str, *, purpose: bytes, bound_to: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _aead(purpose).encrypt(nonce, plain.encode(), bound_to.encode())
    return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()


def open_sealed(stored: str | None, *, purpose: bytes, bound_to: str) -> str | None:
    """The secret, or None when it cannot be read (another SECRET_KEY, tampered, or corrupt)."""
    if not stored or not stored.startswith(_VERSION):
        return None
    try:
        raw = base64.urlsafe_b64decode(stored[len(_VERSION):])
        return _aead(purpose).decrypt(raw[:12], raw[12:], bound_to.encode()).decode()
    except (InvalidTag, ValueError, binascii.Error):
        return None
