"""Emit domain events into the outbox; the notification sweep turns them into messages."""

from __future__ import annotations

from referral.access.scope import optional_actor
from referral.events.models import OutboxEvent
from referral.extensions import db


def emit(kind: str, *, subject_type: str, subject_id: int, **ids: int | str | None) -> OutboxEvent:
    """Record an event in the current transaction. ``ids`` carries ids and codes only."""
    for key, value in ids.items():
        if value is not None and not isinstance(value, int | str):
            raise TypeError(f"event field {key} must be an id or a code")
    actor = optional_actor()
    event = OutboxEvent(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        data=dict(ids),
        actor_user_id=actor.user_id if actor else None,
    )
    db.session.add(event)
    db.session.flush()
    return event
