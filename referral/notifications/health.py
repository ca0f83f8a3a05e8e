"""The health of background work for administrators: broker, queue depth, sweeps, deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from referral.notifications import delivery, sweeps

QUEUE = "celery"


def queue_depth() -> int | None:
    """Messages waiting in the broker's default queue; None when the broker does not answer."""
    from referral.home.health import broker_connection

    url = current_app.config["CELERY_BROKER_URL"]
    try:
        with broker_connection(url) as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
            # Declaring the default queue is harmless (the worker does the same) and answers
            # with its depth on Redis and on the embedded SQLite transport alike.
            return int(conn.default_channel.queue_declare(queue=QUEUE, passive=False)
                       .message_count)
    except Exception:  # noqa: BLE001 - unreachable or queue not declared yet: unknown
        return None


@dataclass
class HealthReport:
    broker: str
    queue_depth: int | None
    last_publish: datetime | None
    last_sweep: datetime | None
    counts: dict[str, int] = field(default_factory=dict)


def report() -> HealthReport:
    from referral.home.health import broker_status

    states = sweeps.sweep_states()
    publish, remind = states.get(sweeps.PUBLISH), states.get(sweeps.REMINDERS)
    return HealthReport(
        broker=broker_status(),
        queue_depth=queue_depth(),
        last_publish=publish.last_finished_at if publish else None,
        last_sweep=remind.last_finished_at if remind else None,
        counts=delivery.pending_counts(),
    )
