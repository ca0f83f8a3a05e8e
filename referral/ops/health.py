"""The background half of /health: the beat's heartbeat and the outbox's oldest waiting row.

Ages in seconds and a word per check; no data about people. A stale beat or outbox turns the
status to "degraded" but leaves the answer 200: the web itself still serves, so a load balancer
or the web container's healthcheck must not take it out (database or broker down: 503).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.ops import heartbeats
from referral.web.database import reading_only

Ages = dict[str, float | None]


def background_status(now: datetime | None = None) -> tuple[dict[str, str], Ages]:
    """({"beat": …, "outbox": …}, {"beat_heartbeat_age_seconds": …,
    "outbox_oldest_unpublished_age_seconds": …}); "ok", "stale", "missing" or "unknown"."""
    now = now or utcnow()
    config = current_app.config
    try:
        with reading_only():
            beat_age = heartbeats.beat_age(now)
            oldest = db.session.execute(select(func.min(OutboxEvent.created_at))
                                        .where(OutboxEvent.published_at.is_(None))).scalar()
            db.session.rollback()
    except Exception:  # noqa: BLE001 - the database check reports the failure itself
        db.session.rollback()
        return {"beat": "unknown", "outbox": "unknown"}, {
            "beat_heartbeat_age_seconds": None, "outbox_oldest_unpublished_age_seconds": None}
    outbox_age = heartbeats.age_seconds(oldest, now)
    beat_limit = config["HEALTH_BEAT_MAX_AGE"].total_seconds()
    outbox_limit = config["HEALTH_OUTBOX_MAX_AGE"].total_seconds()
    checks = {
        "beat": "missing" if beat_age is None else "stale" if beat_age > beat_limit else "ok",
        "outbox": "stale" if outbox_age is not None and outbox_age > outbox_limit else "ok",
    }
    ages = {"beat_heartbeat_age_seconds": None if beat_age is None else round(beat_age, 1),
            "outbox_oldest_unpublished_age_seconds": round(outbox_age or 0.0, 1)}
    return checks, ages
