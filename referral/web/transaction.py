"""The boundary of a change: one transaction per action, committed once, retried if SQLite is busy.

PostgreSQL waits on row locks, so there the first attempt always decides. SQLite lets one writer
at a time: a transaction that started by reading cannot become a writer while another connection
writes (SQLITE_BUSY, "database is locked", returned at once, without waiting). So on SQLite an
action that starts a fresh transaction asks for the write lock up front (``BEGIN IMMEDIATE``),
where the connection's busy timeout makes it wait its turn. In a request or a Celery task every
transaction already begins so (web/database.py, ``take_write_lock_first``), the one the action
joins included; elsewhere (a command, a test's context) an action that joins a transaction
already reading may still be refused, and then it is rolled back and run again, with a growing
pause, until ``within_seconds`` have passed.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, g, has_request_context, request
from sqlalchemy import event as sa_event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from referral.extensions import db

T = TypeVar("T")
log = logging.getLogger(__name__)
RETRY_SECONDS = 20.0


def is_busy(exc: OperationalError) -> bool:
    """True for SQLite's "another connection is writing" refusals, which a retry resolves."""
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in text or "database is busy" in text


def begin_for_writing() -> None:
    """On SQLite, start the transaction with the write lock (BEGIN IMMEDIATE) when none is open:
    one that read first could not write once another connection had written. PostgreSQL needs
    nothing (its writers wait on row locks)."""
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
            begin_for_writing()
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


# --- a request that lost a lock race: run its view again ---------------------------------------

REQUEST_ATTEMPTS = 4
_COMMITS = "_request_commits"  # on flask.g: transactions this request committed
_BEFORE_VIEW = "_commits_before_view"  # on flask.g: how many of them before its view ran


def view_committed() -> bool:
    """Whether this request's view committed a transaction (not counting the session's stamps
    written before it ran): its change is saved whatever happens after."""
    if not has_request_context() or _BEFORE_VIEW not in g:
        return False
    return g.get(_COMMITS, 0) > g.get(_BEFORE_VIEW)


def is_deadlock(exc: OperationalError) -> bool:
    """PostgreSQL chose this transaction to break a deadlock (SQLSTATE 40P01), or refused it for
    a serialization conflict (40001): nothing of it was kept, and running it again succeeds."""
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


def commit_uncounted() -> None:
    """Commit bookkeeping that is not the view's change (a token's last-used stamp, the claim or
    release of an idempotency key): a view that wrote only such rows may still be run again
    after a lost lock race (``install_view_retry``), and error pages do not say it saved."""
    db.session.commit()
    if has_request_context() and g.get(_COMMITS, 0) > 0:
        setattr(g, _COMMITS, g.get(_COMMITS) - 1)


@sa_event.listens_for(Session, "after_commit")
def _count_commit(session: Session) -> None:
    # Fired for released savepoints too; only the outermost commit makes a change durable.
    if has_request_context() and not session.in_nested_transaction():
        setattr(g, _COMMITS, g.get(_COMMITS, 0) + 1)


def install_view_retry(app: Flask) -> None:
    """Run a view again when its transaction lost a lock race before it committed anything.

    Why: on PostgreSQL two transactions that take the same row locks in opposite orders (the
    audit chain's head, which every audited change takes, and a referral's or case's row) end
    in a deadlock, and PostgreSQL cancels one of them; bench/stack_load.py met a few in a
    minute of nine users' work. The cancelled one kept nothing, so its view runs again from
    the start (its reads audited again), as the user would by pressing the button once more.
    On SQLite the same holds for a writer that waited longer than the busy timeout. A view
    that committed before the failure is not run again (that part would happen twice).
    """
    dispatch = app.dispatch_request

    def dispatch_with_retry() -> Any:
        setattr(g, _BEFORE_VIEW, g.get(_COMMITS, 0))
        for attempt in range(1, REQUEST_ATTEMPTS + 1):
            committed = g.get(_COMMITS, 0)
            try:
                return dispatch()
            except OperationalError as exc:
                if (attempt == REQUEST_ATTEMPTS or g.get(_COMMITS, 0) != committed
                        or not (is_deadlock(exc) or is_busy(exc))):
                    raise
                db.session.rollback()
                log.warning("view %s run again after %s", request.endpoint,
                            "a deadlock" if is_deadlock(exc) else "a busy database")
                time.sleep(0.02 * attempt * (0.5 + random.random()))
        raise AssertionError("unreachable")

    app.dispatch_request = dispatch_with_retry  # type: ignore[method-assign]
