"""Periodic jobs' bookkeeping: when each last ran, and one run at a time.

``begin_sweep`` is the first statement of the job's transaction and writes the job's row: on
PostgreSQL a concurrent run waits on that row lock; on SQLite the write lock is taken before any
read, so a concurrent writer cannot leave the job with a stale snapshot. Correctness never rests
on this alone: unique keys make a second run harmless.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from referral.extensions import db
from referral.notifications.models import SweepState

PUBLISH = "publish"
REMINDERS = "reminders"


def _touch(name: str, now: datetime) -> int:
    return db.session.execute(
        update(SweepState).where(SweepState.name == name)
        .values(last_started_at=now, runs=SweepState.runs + 1)
        .execution_options(synchronize_session=False)
    ).rowcount


def begin_sweep(name: str, *, now: datetime) -> None:
    if _touch(name, now):
        return
    try:
        with db.session.begin_nested():
            db.session.add(SweepState(name=name, runs=0))
    except IntegrityError:
        pass  # another run created it first
    _touch(name, now)


def finish_sweep(name: str, *, now: datetime) -> None:
    db.session.execute(
        update(SweepState).where(SweepState.name == name).values(last_finished_at=now)
        .execution_options(synchronize_session=False))


def sweep_states() -> dict[str, SweepState]:
    return {s.name: s for s in db.session.execute(select(SweepState)).scalars()}
