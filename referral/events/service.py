"""Emit domain events into the outbox; the notification sweep turns them into messages.

Listeners registered with ``on_emit`` run inside the same transaction as the change (the
in-app notifications are written this way, so they exist even when the broker is down). A
listener never talks to the broker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import text

from referral.access.scope import optional_actor
from referral.events.models import OutboxEvent
from referral.extensions import db

Listener = Callable[[OutboxEvent], None]
BatchListener = Callable[[Sequence[OutboxEvent]], None]
_LISTENERS: list[Listener] = []
_BATCH: dict[Listener, BatchListener] = {}


@dataclass(frozen=True)
class EventSpec:
    """One event for ``emit_many``: what ``emit`` takes, as a value."""

    kind: str
    subject_type: str
    subject_id: int
    ids: dict[str, int | str | None] = field(default_factory=dict)


def on_emit(listener: Listener, *, batch: BatchListener | None = None) -> Listener:
    """Run ``listener(event)`` in the emitting transaction, after the outbox row is flushed.

    ``batch`` does the same for many events at once (``emit_many``); without it, ``emit_many``
    calls ``listener`` once per event.
    """
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    if batch is not None:
        _BATCH[listener] = batch
    return listener


def _checked(ids: dict[str, int | str | None]) -> dict[str, int | str | None]:
    for key, value in ids.items():
        if value is not None and not isinstance(value, int | str):
            raise TypeError(f"event field {key} must be an id or a code")
    return dict(ids)


def _new_event(spec: EventSpec, actor_user_id: int | None) -> OutboxEvent:
    return OutboxEvent(kind=spec.kind, subject_type=spec.subject_type,
                       subject_id=spec.subject_id, data=_checked(spec.ids),
                       actor_user_id=actor_user_id)


def _reserve_ids(count: int) -> list[int]:
    """Ids taken from the table's sequence in one query (PostgreSQL, more than one event).

    With their ids known, the rows go out as one pipelined executemany instead of one large
    INSERT … RETURNING whose thousands of parameters the driver parses on every call. SQLite
    has no sequence and needs none of this (an empty list: the database numbers the rows).
    """
    if count < 2 or db.session.get_bind().dialect.name != "postgresql":
        return []
    return list(db.session.execute(text(
        "SELECT nextval(pg_get_serial_sequence('outbox_events', 'id')) "
        "FROM generate_series(1, :n)"), {"n": count}).scalars())


def emit(kind: str, *, subject_type: str, subject_id: int, **ids: int | str | None) -> OutboxEvent:
    """Record an event in the current transaction. ``ids`` carries ids and codes only."""
    return emit_many([EventSpec(kind, subject_type, subject_id, ids)])[0]


def emit_many(specs: Sequence[EventSpec]) -> list[OutboxEvent]:
    """Record many events with one flush and one call of each batch listener.

    Why: the deadline sweep emits hundreds of events at once, and a flush and a listener
    round per event would cost more than the work itself.
    """
    if not specs:
        return []
    actor = optional_actor()
    events = [_new_event(spec, actor.user_id if actor else None) for spec in specs]
    for event, event_id in zip(events, _reserve_ids(len(events)), strict=False):
        event.id = event_id
    db.session.add_all(events)
    db.session.flush()
    for listener in _LISTENERS:
        batch = _BATCH.get(listener)
        if batch is not None:
            batch(events)
        else:
            for event in events:
                listener(event)
    return events
