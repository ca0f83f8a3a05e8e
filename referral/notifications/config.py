"""Notification settings with their defaults; override in the app config or REFERRAL_NOTIFY_*."""

from __future__ import annotations

from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    # E-mail retries: exponential backoff with jitter, all well under the broker's visibility
    # timeout (1 h), so Redis never redelivers a message that is merely waiting.
    "NOTIFY_MAX_ATTEMPTS": 6,
    "NOTIFY_RETRY_BASE_SECONDS": 5.0,
    "NOTIFY_RETRY_CAP_SECONDS": 120.0,
    # A pending delivery not picked up for this long is handed to the broker again (lost message).
    "NOTIFY_REQUEUE_AFTER_SECONDS": 600,
    # A delivery claimed by a worker that died mid-send is released after this long.
    "NOTIFY_CLAIM_TIMEOUT_SECONDS": 420,
    "NOTIFY_SMTP_TIMEOUT_SECONDS": 10,
    # Alert administrators of every failed e-mail (production), or once per outage: until an
    # e-mail goes out again, later failures add no alert (development; referral/config.py).
    "NOTIFY_ALERT_EVERY_FAILURE": True,
    "NOTIFY_PUBLISH_BATCH": 200,
    # Reminders and escalation.
    "NOTIFY_PENDING_THRESHOLDS": (50, 80),
    "NOTIFY_NO_PROGRESS_DAYS": 5,
    "NOTIFY_MEASURE_ENDING_DAYS": (3, 1),
    "NOTIFY_HIGH_RISK_UNACCEPTED_HOURS": 24,
    "NOTIFY_DIGEST_HOUR": 8,
    "NOTIFY_DIGEST_TIMEZONE": "Asia/Almaty",
}


def setting(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])
