"""Broker reachability, checked with a short timeout so /health never hangs."""

from __future__ import annotations

from flask import current_app
from kombu import Connection


def broker_status() -> str:
    url = current_app.config["CELERY_BROKER_URL"]
    try:
        with Connection(url, connect_timeout=1, transport_options={"max_retries": 0}) as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means the broker is not usable now
        return "unavailable"
