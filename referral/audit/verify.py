"""Verify the audit hash chain: every row links to the one before and matches its own hash.

The walk is in id order over plain rows in keyset batches. On PostgreSQL the chain can be
split into id ranges checked by separate processes, each on its own connection: a row's check
needs only the row itself and the previous row's hash, so each range is walked on its own and
the ranges' ends are matched afterwards. The answer is the same as the one-process walk (the
first broken row by id, and how many rows were checked up to it); only the time differs, which
matters at ten million rows.

The last row must be the chain head (``audit_chain_head``), which writers update with every
row: rows removed from the end leave no broken link, but they leave the head behind.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from referral.audit.models import AuditChainHead, AuditEvent
from referral.extensions import db

GENESIS = "0" * 64
BATCH = 20_000
# The hashed fields, in order (referral.audit.service writes them in this order).
HASHED = ("created_at", "actor_user_id", "actor_agency_id", "action", "object_type", "object_id",
          "outcome", "source_ip", "details", "prev_hash")
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode


def canonical_values(values: list[Any]) -> bytes:
    """The canonical form of the hashed fields (``created_at`` first: an aware datetime, or its
    ``isoformat(timespec="microseconds")`` text in UTC)."""
    if not isinstance(values[0], str):
        values[0] = values[0].isoformat(timespec="microseconds")
    return _dumps(values).encode()


def canonical_prefix(values: list[Any]) -> str:
    """The canonical form up to ``prev_hash``, from the other nine fields: the database hashes
    ``prefix + '"' + prev_hash + '"]'`` (a hex string is its own JSON text), which is
    ``canonical_values`` with that ``prev_hash``. The JSON is ASCII (non-ASCII is escaped), so
    the text and its UTF-8 bytes agree."""
    if not isinstance(values[0], str):
        values[0] = values[0].isoformat(timespec="microseconds")
    return _dumps(values)[:-1] + ","


@dataclass(frozen=True)
class ChainReport:
    """``first_broken_id`` is None with a reason when the rows hold but the chain's end does
    not (HEAD_MISMATCH: no row to name)."""

    rows_checked: int
    first_broken_id: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class _Walk:
    """One stretch of the chain: its rows up to the first break, and its two ends."""

    count: int
    first_id: int | None
    first_prev: str | None
    last_hash: str | None
    broken_id: int | None = None
    reason: str | None = None


LINK_BROKEN = "link to the previous row is broken"
CONTENT_CHANGED = "row content does not match its hash"
HEAD_MISMATCH = ("the newest row is not the chain head: rows were removed from the end, or the "
                 "head was changed")


def _walk(batches: Iterable[list[Any]], *, text_details: bool) -> _Walk:
    """Check rows ``(id, row_hash, *HASHED)``; the first row's link is left to the caller."""
    sha256, loads = hashlib.sha256, json.loads
    count, first_id, first_prev, expected = 0, None, None, None
    for rows in batches:
        for row in rows:
            values = list(row[2:])
            if text_details and values[8] is not None:
                values[8] = loads(values[8])
            count += 1
            if first_id is None:
                first_id, first_prev = row[0], values[9]
            elif values[9] != expected:
                return _Walk(count, first_id, first_prev, expected, row[0], LINK_BROKEN)
            if sha256(canonical_values(values)).hexdigest() != row[1]:
                return _Walk(count, first_id, first_prev, expected, row[0], CONTENT_CHANGED)
            expected = row[1]
    return _Walk(count, first_id, first_prev, expected)


# PostgreSQL: the driver's own cursor, the time already in canonical text and the details as
# text, so no per-row type processing happens before the hash.
_PG_ROWS = """
    SELECT id, row_hash,
           to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
           actor_user_id, actor_agency_id, action, object_type, object_id, outcome, source_ip,
           details::text, prev_hash
    FROM audit_events WHERE id > %s AND id <= %s ORDER BY id LIMIT %s"""


def _pg_batches(cursor: Any, low: int, high: int) -> Iterator[list[Any]]:
    """Rows with low < id <= high, in keyset batches, each fetched while the one before is
    hashed: the next batch needs only the last id of the one before, so a thread asks the
    server for it while this one checks rows (the server formats rows on one core, Python
    hashes them on the other; one after the other, each waited for the other)."""

    def fetch(after: int) -> list[Any]:
        cursor.execute(_PG_ROWS, (after, high, BATCH))
        return cursor.fetchall()

    with ThreadPoolExecutor(max_workers=1) as prefetch:
        rows = fetch(low)
        while rows:
            following = prefetch.submit(fetch, rows[-1][0])
            yield rows
            rows = following.result()


def _sqlite_batches() -> Iterator[list[Any]]:
    table = AuditEvent.__table__
    columns = [table.c.id, table.c.row_hash, *(table.c[name] for name in HASHED)]
    last_id = 0
    while True:
        rows = db.session.execute(
            select(*columns).where(table.c.id > last_id).order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last_id = rows[-1][0]


def _walk_range(dsn: str, low: int, high: int) -> _Walk:
    """A worker process: one id range on a connection of its own."""
    import psycopg

    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        return _walk(_pg_batches(cursor, low, high), text_details=True)


def _join(walks: Iterable[_Walk], head: str | None) -> ChainReport:
    """The one-process answer from consecutive stretches; an intact chain must end at ``head``
    (the head row's hash read with the walk's upper bound; None when the row is missing)."""
    count, expected = 0, GENESIS
    for walk in walks:
        if walk.count == 0:
            continue
        if walk.first_prev != expected:
            return ChainReport(count + 1, walk.first_id, LINK_BROKEN)
        if walk.broken_id is not None:
            return ChainReport(count + walk.count, walk.broken_id, walk.reason)
        count, expected = count + walk.count, walk.last_hash
    if (head or GENESIS) != expected:
        return ChainReport(count, None, HEAD_MISMATCH)
    return ChainReport(count, None, None)


def _head_hash() -> str | None:
    return db.session.execute(
        select(AuditChainHead.row_hash).where(AuditChainHead.id == 1)).scalar_one_or_none()


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def verify_chain(*, workers: int = 1) -> ChainReport:
    """Walk the chain in id order; name the first row whose link or content does not hold.

    ``workers`` > 1 splits the walk over that many processes (PostgreSQL only; elsewhere the
    walk is done in this process).
    """
    if db.session.get_bind().dialect.name != "postgresql":
        # One SQLite transaction reads one snapshot: the head and the rows agree.
        head = _head_hash()
        return _join([_walk(_sqlite_batches(), text_details=False)], head)
    # The bounds and the head in one statement, so one snapshot: rows written meanwhile lie
    # beyond ``high`` and are not compared with a head that does not know them yet.
    low, high, head = db.session.execute(select(
        select(func.min(AuditEvent.id)).scalar_subquery(),
        select(func.max(AuditEvent.id)).scalar_subquery(),
        select(AuditChainHead.row_hash).where(AuditChainHead.id == 1).scalar_subquery())).one()
    if low is None:
        return _join([], head)
    if workers <= 1:
        cursor = db.session.connection().connection.driver_connection.cursor()
        try:
            return _join([_walk(_pg_batches(cursor, low - 1, high), text_details=True)], head)
        finally:
            cursor.close()
    step = -(-(high - low + 1) // workers)
    bounds = [(low - 1 + i * step, min(high, low - 1 + (i + 1) * step)) for i in range(workers)]
    dsn = make_url(db.engine.url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        walks = list(pool.map(_walk_range, [dsn] * workers, *zip(*bounds, strict=True)))
    return _join(walks, head)
