"""Verifying the chain in several processes gives the one-process answer (PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from referral.access.scope import acting_as, system_actor
from referral.audit import service as audit
from referral.audit.verify import HEAD_MISMATCH, verify_chain
from referral.extensions import db
from tests.fixtures import fresh
from tests.foundation.test_foundation_audit import _events, triggers_dropped

pytestmark = pytest.mark.postgres


def _chain(rows: int) -> list[int]:
    with acting_as(system_actor("test")):
        audit.record_many([audit.AuditEntry("test.batch", object_id=n, details={"n": n})
                           for n in range(rows)])
        db.session.commit()
    return [e.id for e in _events()]


def _both() -> tuple[audit.ChainReport, ...]:
    fresh()
    return tuple(verify_chain(workers=w) for w in (1, 3, 4))


def test_an_intact_chain_is_intact_whatever_the_split(ctx):
    ids = _chain(40)
    reports = _both()
    assert {r.ok for r in reports} == {True}
    assert {r.rows_checked for r in reports} == {len(ids)}


def test_a_changed_row_is_named_with_the_same_count(ctx):
    ids = sorted(_chain(40))
    target = ids[25]
    with triggers_dropped(), db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET details = '{\"n\": 99}' WHERE id = :id"),
                     {"id": target})
    one, three, four = _both()
    assert one.first_broken_id == target and "content" in one.reason
    assert one == three == four
    assert one.rows_checked == 26


@pytest.mark.parametrize("position", [1, 14, 27, 39])
def test_a_deleted_row_is_found_at_or_across_a_range_boundary(ctx, position):
    ids = sorted(_chain(40))
    with triggers_dropped(), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[position]})
    one, three, four = _both()
    if position + 1 < len(ids):
        assert one.first_broken_id == ids[position + 1] and "link" in one.reason
    else:  # the newest row: no link is broken, but the chain no longer ends at its head
        assert (one.first_broken_id, one.reason, one.rows_checked) == (None, HEAD_MISMATCH, 39)
    assert one == three == four

