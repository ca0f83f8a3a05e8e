"""How a domain adds a rule to the reminder sweep, and how a rule sends each reminder once.

A domain registers ``fn(*, now) -> int`` (how many it sent) with ``register_rule`` in its own
``notify.py``; the sweep (``referral.notifications.reminders.run_all``) runs every registered
rule as the system, in one transaction, on every beat. ``once_many`` logs each reminder under a
unique key with its event, so a second sweep, a redelivered task or a duplicated beat sends
nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from referral.access.idlist import in_values
from referral.events.service import EventSpec, emit_many
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.models import ReminderLog

Rule = Callable[..., int]
_RULES: dict[str, tuple[int, Rule]] = {}


def register_rule(name: str, *, order: int = 50) -> Callable[[Rule], Rule]:
    """Add ``fn(*, now) -> int`` to the sweep under ``name`` (the key of its count in the
    sweep's result); lower ``order`` runs first."""

    def decorator(fn: Rule) -> Rule:
        if name in _RULES and _RULES[name][1] is not fn:
            raise RuntimeError(f"a reminder rule named {name!r} is registered already")
        _RULES[name] = (order, fn)
        return fn

    return decorator


def registered_rules() -> list[tuple[str, Rule]]:
    """The registered rules in the order the sweep runs them."""
    return [(name, fn) for name, (_, fn) in sorted(_RULES.items(), key=lambda i: (i[1][0], i[0]))]


@dataclass(frozen=True)
class Reminder:
    """One reminder to send at most once: its log key and the event that announces it."""

    subject_type: str
    subject_id: int
    kind: str
    threshold: str
    event: EventSpec


def _claim(chunk: list[Reminder]) -> dict[tuple[str, int, str, str], int]:
    """Insert the log rows that do not exist yet; their keys → log ids. A row that exists
    (sent before, or by a concurrent sweep a moment ago) is skipped by the unique key."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    now = utcnow()
    table = ReminderLog.__table__
    statement = insert(table).values([
        {"subject_type": r.subject_type, "subject_id": r.subject_id, "kind": r.kind,
         "threshold": r.threshold, "created_at": now} for r in chunk
    ]).on_conflict_do_nothing().returning(table.c.subject_type, table.c.subject_id,
                                          table.c.kind, table.c.threshold, table.c.id)
    return {tuple(row[:4]): row[4] for row in db.session.execute(statement)}


def once_many(reminders: Sequence[Reminder]) -> int:
    """Log and announce each reminder that was not sent before; how many were sent.

    The log row and its event are written together in the caller's transaction, so a second
    sweep, a redelivered task or a duplicated beat finds the row and sends nothing. One
    INSERT … ON CONFLICT DO NOTHING claims a batch, one flush emits its events and one
    UPDATE links them: a few statements per batch, not per reminder.
    """
    sent = 0
    for start in range(0, len(reminders), 500):
        chunk = list({(r.subject_type, r.subject_id, r.kind, r.threshold): r
                      for r in reminders[start:start + 500]}.values())
        claimed = _claim(chunk)
        won = [r for r in chunk if (r.subject_type, r.subject_id, r.kind, r.threshold)
               in claimed]
        if not won:
            continue
        emitted = emit_many([r.event for r in won])
        db.session.execute(update(ReminderLog), [
            {"id": claimed[(r.subject_type, r.subject_id, r.kind, r.threshold)],
             "event_id": event.id} for r, event in zip(won, emitted, strict=True)])
        sent += len(won)
    return sent


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def stamp_sql(column: Any) -> Any:
    """``stamp`` of a UTC timestamp column, computed by the database (for anti-joins)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
    return func.strftime("%Y-%m-%dT%H:%M:%S+00:00", column)


def epoch_seconds(column: Any) -> Any:
    """Seconds since 1970 of a timestamp column, computed by the database (for prefilters)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", column)
    return (func.julianday(column) - 2440587.5) * 86400.0


def not_logged(subject_type: str, subject_id: Any, kind: str, threshold: Any) -> Any:
    """No reminder of this kind and threshold yet: lets a sweep skip, in SQL, what it already
    sent, so its cost follows what is due and not the size of the tables.
    ``once`` still checks and inserts under the unique key."""
    return ~exists().where(ReminderLog.subject_type == subject_type,
                           ReminderLog.subject_id == subject_id, ReminderLog.kind == kind,
                           ReminderLog.threshold == threshold)


def logged_already(subject_type: str, kind: str, ids: list[int]) -> set[tuple[int, str]]:
    """(subject id, threshold) of the reminders of one kind already sent for ``ids``."""
    found: set[tuple[int, str]] = set()
    for start in range(0, len(ids), 1000):
        found.update(db.session.execute(select(ReminderLog.subject_id, ReminderLog.threshold).where(
            ReminderLog.subject_type == subject_type, ReminderLog.kind == kind,
            in_values(ReminderLog.subject_id, ids[start:start + 1000]))).all())
    return found
