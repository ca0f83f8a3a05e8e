"""The boundary of a referral action: run it, commit once, and retry when SQLite says "busy".

SQLite lets one writer at a time. A transaction that read before another committed cannot write
afterwards (SQLITE_BUSY, "database is locked") and must start again; then its conditional UPDATE
sees the winner's change and the loser is told who won. PostgreSQL waits on the row lock
instead, so there the first attempt always decides.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from referral.extensions import db

T = TypeVar("T")
ATTEMPTS = 8


def _busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return "database is locked" in text or "database is busy" in text


def run_action(action: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """Call ``action`` and commit; on a SQLite write conflict roll back and run it again.

    Domain errors propagate after a rollback, so nothing of a refused action is kept.
    """
    for attempt in range(1, attempts + 1):
        try:
            result = action()
            db.session.commit()
            return result
        except OperationalError as exc:
            db.session.rollback()
            if not _busy(exc) or attempt == attempts:
                raise
            # The writer holding the lock finishes within milliseconds; wait a little, growing.
            time.sleep(min(0.02 * 2 ** attempt, 1.0) * (0.5 + random.random()))
        except Exception:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")
