"""Recording and reading heartbeats (referral.ops.models.Heartbeat).

The worker writes them (workers/tasks.py): ``beat`` each minute from the beat-scheduled
``heartbeat`` task, which proves the whole chain beat -> broker -> worker -> database; and one
row per sweep with its duration and outcome. /health, /metrics and ``flask ops beat-alive`` read
them, from any process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from referral.extensions import db
from referral.models_base import utcnow
from referral.ops.models import Heartbeat

BEAT = "beat"
PUBLISH = "publish"
REMINDERS = "reminders"
SWEEPS = (PUBLISH, REMINDERS)  # the label values of the sweep metrics: a closed list

log = logging.getLogger(__name__)


def _update(name: str, values: dict) -> int:
    return db.session.execute(
        update(Heartbeat).where(Heartbeat.name == name).values(**values)
        .execution_options(synchronize_session=False)).rowcount


def record(name: str, *, ok: bool = True, duration_ms: int = 0,
           now: datetime | None = None) -> None:
    """Write ``name``'s heartbeat in the current transaction (the caller commits)."""
    now = now or utcnow()
    values: dict = {"beat_at": now, "duration_ms": max(0, int(duration_ms)), "ok": ok}
    if ok:
        values["last_ok_at"] = now
    if _update(name, values):
        return
    try:
        with db.session.begin_nested():
            db.session.add(Heartbeat(name=name, **values))
    except IntegrityError:
        _update(name, values)  # another process created the row first


@contextmanager
def timed(name: str) -> Iterator[None]:
    """Run a sweep and record its duration and outcome, committed; a failure is recorded
    after the sweep's own transaction is rolled back, then raised on."""
    started = time.monotonic()
    try:
        yield
    except BaseException:
        elapsed = int((time.monotonic() - started) * 1000)
        db.session.rollback()
        try:
            record(name, ok=False, duration_ms=elapsed)
            db.session.commit()
        except Exception:  # noqa: BLE001 - the sweep's own error is the one to raise
            db.session.rollback()
            log.warning("could not record the failed run of %s", name)
        raise
    record(name, ok=True, duration_ms=int((time.monotonic() - started) * 1000))
    db.session.commit()


def all_heartbeats() -> dict[str, Heartbeat]:
    """Every heartbeat row by name (one query)."""
    return {h.name: h for h in db.session.execute(select(Heartbeat)).scalars()}


def age_seconds(moment: datetime | None, now: datetime | None = None) -> float | None:
    if moment is None:
        return None
    return max(0.0, ((now or utcnow()) - moment).total_seconds())


def beat_age(now: datetime | None = None) -> float | None:
    """Seconds since the beat's last heartbeat; None when there was none."""
    moment = db.session.execute(
        select(Heartbeat.beat_at).where(Heartbeat.name == BEAT)).scalar_one_or_none()
    return age_seconds(moment, now)
