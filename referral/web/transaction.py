"""The boundary of a change: one transaction per action, committed once, retried if SQLite is busy.

PostgreSQL waits on row locks, so there the first attempt always decides. SQLite lets one writer
at a time: a transaction that started by reading cannot become a writer while another connection
writes (SQLITE_BUSY, "database is locked", returned at once, without waiting). So on SQLite an
action that starts a fresh transaction asks for the write lock up front (``BEGIN IMMEDIATE``),
where the connection's busy timeout makes it wait its turn; an action that joins a transaction
already reading (a view that loaded the user first) may still be refused, and then it is rolled
back and run again, with a growing pause, until ``within_seconds`` have passed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from referral.extensions import db

T = TypeVar("T")
RETRY_SECONDS = 20.0


def is_busy(exc: OperationalError) -> bool:
    """True for SQLite's "another connection is writing" refusals, which a retry resolves."""
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in text or "database is busy" in text


def _begin_for_writing() -> None:
    session = db.session()
    if session.in_transaction() or session.get_bind().dialect.name != "sqlite":
        return
    session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})


def run_action(action: Callable[[], T], *, within_seconds: float = RETRY_SECONDS) -> T:
    """Call ``action`` and commit; on a SQLite write conflict roll back and run it again.

    Domain errors propagate after a rollback, so nothing of a refused action is kept.
    """
    deadline = time.monotonic() + within_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            _begin_for_writing()
            result = action()
            db.session.commit()
            return result
        except OperationalError as exc:
            db.session.rollback()
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
            # The writer holding the lock finishes within milliseconds; wait a little, growing.
            time.sleep(min(0.01 * 2 ** attempt, 0.5) * (0.5 + random.random()))
        except Exception:
            db.session.rollback()
            raise
