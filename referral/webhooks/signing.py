"""Standard Webhooks signing: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``.

The secret is ``whsec_`` + base64 of random bytes; the key is the decoded bytes. Secrets are
kept sealed with AES-GCM under a key derived from SECRET_KEY (as second-factor secrets are,
with a key of their own), bound to the endpoint's id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from referral import sealing

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """One ``v1,<base64>`` signature of the message with one secret."""
    digest = hmac.new(_key(secret), f"{msg_id}.{timestamp}.{body}".encode(),
                      hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_: list[str], msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three headers; several secrets (a rotation) give space-separated signatures."""
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(signature(s, msg_id, timestamp, body)
                                          for s in secrets_)}


_SECRET = b"referral webhooks: endpoint secret v1"


def seal(secret: str, endpoint_id: int) -> str:
    return sealing.seal(secret, purpose=_SECRET, bound_to=f"webhook:{endpoint_id}")


def unseal(stored: str | None, endpoint_id: int) -> str | None:
    """The secret, or None when it cannot be read (another SECRET_KEY, or tampered)."""
    return sealing.open_sealed(stored, purpose=_SECRET, bound_to=f"webhook:{endpoint_id}")
