"""End a request's reading transaction with COMMIT, so PostgreSQL keeps its prepared statements.

psycopg prepares a statement on the server once the same SQL has run five times on a
connection, and PostgreSQL then plans it once instead of on every execution. But psycopg forgets
every prepared statement of a connection at each ROLLBACK, and a request's session ends its last
transaction (the reads its template makes after the page's commit) with one. So nothing was
ever prepared, and PostgreSQL planned every statement of every page again: the scope conditions
make plans costly, on the case page about ten times its execution time.

A transaction that wrote nothing ends the same way whether committed or rolled back. At the end
of a request that raised no error, one that ran only SELECTs and holds no pending ORM change is
committed; any other is rolled back as before. A statement counts as a write as it does for the
audit chain's lock order (``database.writes_rows``: a write, or a SELECT that locks rows).

A request that answered without error but leaves a write uncommitted lost it: an audit row of a
page that never committed (the coordinator's home page did). That is logged as an error and
noted on the app (``UNCOMMITTED``), where the crawl of every page checks it
(tests/test_pages_commit_their_writes.py).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request

from referral.extensions import db
from referral.web.database import TRANSACTION_WROTE

log = logging.getLogger(__name__)
UNCOMMITTED = "referral.uncommitted_writes"  # app.extensions: the endpoints that lost a write


def _connections(session: Any) -> list[Any]:
    transaction = session.get_transaction()
    if transaction is None:
        return []
    # SQLAlchemy keeps a transaction's connections here (one per engine); no public accessor.
    return [conn for conn, *_rest in transaction._connections.values()]


def wrote(session: Any) -> bool:
    """Whether the session's open transaction ran a write (it would be lost at a rollback)."""
    return session.in_transaction() and any(conn.info.get(TRANSACTION_WROTE)
                                            for conn in _connections(session))


def only_read(session: Any) -> bool:
    """Whether the session's open transaction ran only SELECTs on PostgreSQL and holds no
    pending change (committing it then changes nothing)."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    connections = _connections(session)
    return bool(connections) and all(
        conn.dialect.name == "postgresql" and not conn.info.get(TRANSACTION_WROTE)
        for conn in connections)


def register(app: Flask) -> None:
    @app.teardown_request
    def _commit_reads(exc: BaseException | None) -> None:
        if exc is not None or not db.session.registry.has():
            return
        session = db.session()
        if wrote(session):
            log.error("%s answered with a write left uncommitted: it is rolled back",
                      request.endpoint)
            app.extensions.setdefault(UNCOMMITTED, set()).add(request.endpoint)
            return
        if not only_read(session):
            return
        try:
            session.commit()
        except Exception:  # the connection failed: the session's own teardown rolls back
            log.warning("ending a reading transaction failed", exc_info=True)
