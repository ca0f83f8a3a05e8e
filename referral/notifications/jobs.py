"""Boundaries of background work: each function commits, as a view would. Tasks and commands
call these; the rules stay in the services.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications import delivery, mailer, reminders, sweeps

log = logging.getLogger(__name__)


def publish(enqueue: Callable[[int], None], *, now: datetime | None = None) -> int:
    """Publish pending outbox rows, then hand due deliveries to the broker by id.

    If the broker is unreachable, the deliveries stay pending and the next run tries again.
    """
    now = now or utcnow()
    sweeps.begin_sweep(sweeps.PUBLISH, now=now)
    delivery.publish_events(now=now)
    due = delivery.claim_due_deliveries(now=now)
    sweeps.finish_sweep(sweeps.PUBLISH, now=now)
    db.session.commit()
    for index, delivery_id in enumerate(due):
        try:
            enqueue(delivery_id)
        except Exception:  # noqa: BLE001 - broker down: leave the rest for the next run
            log.warning("broker unavailable; %d deliveries wait", len(due) - index)
            delivery.unqueue(due[index:])
            db.session.commit()
            break
    return len(due)


def deliver(delivery_id: int, *, now: datetime | None = None) -> float | None:
    """Send one delivery at most once. Returns a retry delay in seconds, or None when done."""
    if not delivery.claim_delivery(delivery_id, now=now or utcnow()):
        db.session.rollback()
        return None  # sent, failed or being sent by someone else: a duplicate message
    db.session.commit()
    mail = delivery.prepare_mail(delivery_id)
    db.session.commit()
    if mail is None:
        return None
    try:
        mailer.send(mail)
    except mailer.TransientMailError as err:
        delay = delivery.record_transient_failure(delivery_id, str(err), now=utcnow())
        db.session.commit()
        return delay
    except mailer.PermanentMailError as err:
        delivery.record_permanent_failure(delivery_id, str(err), now=utcnow())
        db.session.commit()
        return None
    delivery.mark_sent(delivery_id, now=utcnow())
    db.session.commit()
    return None


def sweep_reminders(*, now: datetime | None = None) -> dict[str, int]:
    """Reminders, expiry, escalation and digests due at ``now``; each at most once."""
    now = now or utcnow()
    sweeps.begin_sweep(sweeps.REMINDERS, now=now)
    counts = reminders.run_all(now=now)
    sweeps.finish_sweep(sweeps.REMINDERS, now=now)
    db.session.commit()
    return counts
