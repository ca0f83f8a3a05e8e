"""Emit domain events into the outbox; the notification sweep turns them into messages.

Listeners registered with ``on_emit`` run inside the same transaction as the change (the
in-app notifications are written this way, so they exist even when the broker is down). A
listener never talks to the broker.
"""

from __future__ import annotations

from collections.abc import Callable

from referral.access.scope import optional_actor
from referral.events.models import OutboxEvent
from referral.extensions import db

Listener = Callable[[OutboxEvent], None]
_LISTENERS: list[Listener] = []


def on_emit(listener: Listener) -> Listener:
    """Run ``listener(event)`` in the emitting transaction, after the outbox row is flushed."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


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
    for listener in _LISTENERS:
        listener(event)
    return event
