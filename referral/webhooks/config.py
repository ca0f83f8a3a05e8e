"""Webhook settings with their defaults; override in the app config or REFERRAL_WEBHOOKS_*."""

from __future__ import annotations

from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    # Seconds before each retry after the first attempt (Standard Webhooks' recommendation:
    # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); a delivery is given up after the last one.
    "WEBHOOKS_RETRY_SCHEDULE": (5, 300, 1800, 7200, 18000, 36000, 36000),
    "WEBHOOKS_TIMEOUT_SECONDS": 10,
    # An endpoint is disabled after this many deliveries in a row were given up, or when it
    # has failed for this many days without a success.
    "WEBHOOKS_DISABLE_AFTER": 5,
    "WEBHOOKS_DISABLE_AFTER_DAYS": 5,
    # A delivery handed to the broker but not taken (or taken by a worker that died) this
    # long ago is handed on again.
    "WEBHOOKS_REQUEUE_AFTER_SECONDS": 600,
}
# Computed from the environment when not set: plain http to this machine in development and
# tests only; private addresses in tests only (production refuses both: SSRF).
COMPUTED = {
    "WEBHOOKS_ALLOW_HTTP_LOCALHOST": lambda env: env != "production",
    "WEBHOOKS_ALLOW_PRIVATE": lambda env: env == "testing",
}


def setting(name: str) -> Any:
    """The configured value, else the default (computed from REFERRAL_ENV for the two above)."""
    value = current_app.config.get(name)
    if value is not None:
        return value
    if name in COMPUTED:
        return COMPUTED[name](current_app.config.get("ENV_NAME", "development"))
    return DEFAULTS[name]
