"""Broker reachability, checked with a short timeout so /health never hangs."""

from __future__ import annotations

from flask import current_app
from kombu import Connection


def broker_connection(url: str) -> Connection:
    """A short-timeout connection. Only Redis takes retry options: the embedded SQLite transport
    hands its options to SQLAlchemy's create_engine, which refuses unknown ones."""
    redis = url.startswith(("redis://", "rediss://", "redis+socket://"))
    return Connection(url, connect_timeout=1,
                      transport_options={"max_retries": 0} if redis else {})


def broker_status() -> str:
    url = current_app.config["CELERY_BROKER_URL"]
    try:
        with broker_connection(url) as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
            conn.default_channel  # noqa: B018 - opening a channel proves the transport works
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means the broker is not usable now
        return "unavailable"
