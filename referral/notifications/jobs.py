"""Boundaries of background work: each function commits, as a view would. Tasks and commands
call these; the rules stay in the services.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications import delivery, mailer, publishing, reminders, sweeps
from referral.notifications.config import setting
from referral.web.transaction import begin_for_writing

log = logging.getLogger(__name__)
# One publish run stops starting new batches after this long (the task's soft limit is 50 s).
PUBLISH_BUDGET_SECONDS = 30.0


def publish(enqueue: Callable[[int], None], *, now: datetime | None = None) -> int:
    """Publish pending outbox rows, then hand due deliveries to the broker by id; batch after
    batch (each committed before its messages go out) until nothing is left or the time budget
    is spent. Returns the number of deliveries handed on.

    If the broker is unreachable, the deliveries stay pending and the next run tries again.
    """
    now = now or utcnow()
    started = time.monotonic()
    batch = setting("NOTIFY_PUBLISH_BATCH")
    sweeps.begin_sweep(sweeps.PUBLISH, now=now)
    after: int | None = 0  # the outbox is walked by id; None: nothing more to publish
    handed = 0
    while True:
        begin_for_writing()
        if after is not None:
            after = publishing.publish_batch(now=now, after_id=after)[1]
        due = publishing.claim_due_deliveries(now=now)
        db.session.commit()
        handed += len(due)
        if not _hand_on(enqueue, due):
            break
        if after is None and len(due) < batch:
            break  # the outbox and the due deliveries are drained
        if time.monotonic() - started > PUBLISH_BUDGET_SECONDS:
            break
    sweeps.finish_sweep(sweeps.PUBLISH, now=now)
    db.session.commit()
    return handed


def _hand_on(enqueue: Callable[[int], None], due: list[int]) -> bool:
    """Enqueue ``due`` by id; False (and the rest left pending) if the broker is down."""
    for index, delivery_id in enumerate(due):
        try:
            enqueue(delivery_id)
        except Exception:  # noqa: BLE001 - broker down: leave the rest for the next run
            log.warning("broker unavailable; %d deliveries wait", len(due) - index)
            publishing.unqueue(due[index:])
            db.session.commit()
            return False
    return True


def deliver(delivery_id: int, *, now: datetime | None = None) -> float | None:
    """Send one delivery at most once. Returns a retry delay in seconds, or None when done.

    The claim and the reading of the message share one transaction, committed before the SMTP
    server is contacted (so a second worker can never send it too).
    """
    now = now or utcnow()
    claimed = delivery.claim(delivery_id, now=now)
    if claimed is None:
        db.session.rollback()
        return None  # sent, failed or being sent by someone else: a duplicate message
    try:
        mail = delivery.prepare_mail(delivery_id, claimed)
    except Exception:
        db.session.rollback()  # keep the claim (the attempt counts); the claim timeout frees it
        delivery.claim(delivery_id, now=now)
        db.session.commit()
        raise
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
