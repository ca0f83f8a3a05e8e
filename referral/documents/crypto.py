"""Encryption at rest of a document: a fresh AES-256-GCM data key per file, wrapped by a master key.

The stored object is ``nonce (12) || AES-GCM(data key, nonce, plaintext)``; the row keeps the
data key wrapped (AES-GCM under the master key, ``nonce || sealed key``) and the master key's
id. Rotating the master key re-wraps the small data keys (``flask documents rotate-key``) and
never rewrites a file. Master keys come from configuration: ``DOCUMENTS_KEY`` (base64 of 32
bytes; the key new files and re-wrapped keys use) and ``DOCUMENTS_OLD_KEYS`` (keys still
accepted for reading, separated by commas, while a rotation runs). Development and tests
without a key derive one from SECRET_KEY, as the second factor's secret is; production refuses
to start without a proper key (``require_production_key``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from referral.errors import ConfigurationError

NONCE = 12
KEY_BYTES = 32
WRAP_CONTEXT = b"referral document key v1"  # binds a wrapped key to its purpose
# Keys that appear in examples and must never protect real documents.
KNOWN_DEFAULTS = frozenset({bytes(KEY_BYTES), bytes(range(KEY_BYTES))})


class DocumentKeyError(ValueError):
    """A master key is unusable, unknown, or does not open the data."""


@dataclass(frozen=True)
class Sealed:
    ciphertext: bytes
    wrapped_key: bytes
    key_id: str


def parse_key(text: str, name: str = "REFERRAL_DOCUMENTS_KEY") -> bytes:
    """32 random bytes in base64 (``openssl rand -base64 32``); the URL-safe alphabet too."""
    value = text.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise DocumentKeyError(f"{name} is not base64 text") from None
    if len(raw) != KEY_BYTES:
        raise DocumentKeyError(f"{name} must be 32 bytes in base64 (this one is {len(raw)}): "
                               "make one with `openssl rand -base64 32`")
    return raw


def key_id_of(key: bytes) -> str:
    """Which master key wrapped a data key: 8 hex digits of its SHA-256 (not the key)."""
    return hashlib.sha256(key).hexdigest()[:8]


def _derived_key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                info=b"referral documents: master key v1").derive(secret.encode())


def current_key(config: dict | None = None) -> bytes:
    """The master key new files and re-wrapped keys use."""
    cfg = current_app.config if config is None else config
    text = cfg.get("DOCUMENTS_KEY") or ""
    if text:
        return parse_key(text)
    return _derived_key(str(cfg.get("SECRET_KEY") or ""))


def _old_keys(config: dict) -> list[bytes]:
    text = config.get("DOCUMENTS_OLD_KEYS") or ""
    return [parse_key(part, "REFERRAL_DOCUMENTS_OLD_KEYS") for part in text.split(",")
            if part.strip()]


def master_keys() -> dict[str, bytes]:
    """Every master key that may open a wrapped key, by id: the current one and the old ones."""
    cfg = current_app.config
    keys = {key_id_of(k): k for k in _old_keys(cfg)}
    current = current_key()
    keys[key_id_of(current)] = current
    return keys


def require_production_key(config: dict) -> None:
    """Stop a production start-up (ConfigurationError) without a proper documents key."""
    if config.get("ENV_NAME") != "production":
        return
    problem = _production_key_problem(config)
    if problem:
        raise ConfigurationError(problem)


def _production_key_problem(config: dict) -> str | None:
    text = config.get("DOCUMENTS_KEY") or ""
    if not text:
        return ("REFERRAL_DOCUMENTS_KEY must be set in production (32 random bytes in base64, "
                "`openssl rand -base64 32`): it protects every stored document")
    try:
        key = parse_key(text)
        _old_keys(config)
    except DocumentKeyError as err:
        return str(err)
    if key in KNOWN_DEFAULTS or len(set(key)) < 8:
        return "REFERRAL_DOCUMENTS_KEY is a known example value: make a random one"
    return None


def _wrap(master: bytes, data_key: bytes, kid: str) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(master).encrypt(nonce, data_key, WRAP_CONTEXT + kid.encode())


def _unwrap(wrapped_key: bytes, kid: str) -> bytes:
    master = master_keys().get(kid)
    if master is None:
        raise DocumentKeyError(f"no configured documents key has id {kid}: keep the old key in "
                               "REFERRAL_DOCUMENTS_OLD_KEYS until `flask documents rotate-key` "
                               "has run")
    try:
        return AESGCM(master).decrypt(wrapped_key[:NONCE], wrapped_key[NONCE:],
                                      WRAP_CONTEXT + kid.encode())
    except InvalidTag:
        raise DocumentKeyError(f"the wrapped key does not open with key {kid}") from None


def seal(plaintext: bytes) -> Sealed:
    """The file encrypted under a fresh data key, and that key wrapped by the current master."""
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE)
    ciphertext = nonce + AESGCM(data_key).encrypt(nonce, plaintext, None)
    master = current_key()
    kid = key_id_of(master)
    return Sealed(ciphertext, _wrap(master, data_key, kid), kid)


def unseal(ciphertext: bytes, wrapped_key: bytes, key_id: str) -> bytes:
    """The plaintext; DocumentKeyError when the key is unknown or the bytes were changed."""
    data_key = _unwrap(wrapped_key, key_id)
    try:
        return AESGCM(data_key).decrypt(ciphertext[:NONCE], ciphertext[NONCE:], None)
    except InvalidTag:
        raise DocumentKeyError("the stored file does not match its key (changed or "
                               "damaged)") from None


def rewrap(wrapped_key: bytes, key_id: str) -> tuple[bytes, str]:
    """The same data key wrapped by the current master key (the file is not touched)."""
    data_key = _unwrap(wrapped_key, key_id)
    master = current_key()
    kid = key_id_of(master)
    return _wrap(master, data_key, kid), kid
