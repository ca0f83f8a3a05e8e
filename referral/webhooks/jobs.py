"""Boundaries of webhook background work: each function acts as the system and commits.

Tasks (workers/tasks.py) and tests call these; the rules stay in delivery.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from referral.access.scope import acting_as, system_actor
from referral.extensions import db
from referral.models_base import utcnow
from referral.web.transaction import begin_for_writing
from referral.webhooks import delivery

log = logging.getLogger(__name__)


def sweep(enqueue: Callable[[int], None], *, now: datetime | None = None) -> int:
    """Hand due deliveries (new ones, retries, those of lost workers) to the broker by id.
    Returns how many were handed on; if the broker is down they wait for the next sweep."""
    now = now or utcnow()
    with acting_as(system_actor("webhook sweep")):
        if not delivery.anything_to_hand_on():
            db.session.rollback()
            return 0
        db.session.rollback()  # the claims begin with the write lock (SQLite)
        begin_for_writing()
        delivery.release_lost(now)
        due = delivery.claim_due(now)
        db.session.commit()
        for index, delivery_id in enumerate(due):
            try:
                enqueue(delivery_id)
            except Exception:  # noqa: BLE001 - broker down: the rest wait for the next sweep
                log.warning("broker unavailable; %d webhook deliveries wait", len(due) - index)
                begin_for_writing()
                delivery.unqueue(due[index:])
                db.session.commit()
                return index
    return len(due)


def deliver(delivery_id: int, *, now: datetime | None = None) -> bool:
    """Post one delivery at most once per attempt; True when it was tried.

    The claim commits before the endpoint is contacted, so a second worker never posts it too.
    """
    with acting_as(system_actor("webhook delivery")):
        begin_for_writing()
        attempt = delivery.claim(delivery_id, now=now or utcnow())
        db.session.commit()
        if attempt is None:
            return False
        outcome = delivery.post(attempt)
        begin_for_writing()
        delivery.record(attempt, outcome, now=utcnow())
        db.session.commit()
    return True


def run_due(*, now: datetime | None = None) -> int:
    """Sweep and deliver in this process (tests, and ``flask webhooks deliver``)."""
    handed: list[int] = []
    sweep(handed.append, now=now)
    for delivery_id in handed:
        deliver(delivery_id, now=now)
    return len(handed)
