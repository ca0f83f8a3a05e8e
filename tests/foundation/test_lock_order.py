"""On PostgreSQL a request's or task's writers take the audit chain's head before any row.

Two lock orders (head then case, or referral → case by trigger then head) deadlocked under the
default stack's load test; one order cannot.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from referral.access.scope import acting_as, system_actor
from referral.audit import service as audit
from referral.extensions import db
from referral.web.database import take_write_lock_first

pytestmark = pytest.mark.postgres

A_WRITE = text("UPDATE users SET email = email WHERE id = -1")  # locks no row itself


def _head_is_free() -> bool:
    """Whether another connection could take the head now."""
    with db.engine.connect() as other:
        try:
            other.execute(text("SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE NOWAIT"))
        except OperationalError:
            return False
        finally:
            other.rollback()
    return True


@pytest.fixture
def head(ctx):
    with acting_as(system_actor("test")):
        audit.record("test.head")  # the head row exists
    db.session.commit()
    yield
    take_write_lock_first(False)
    db.session.rollback()


def test_a_request_s_first_write_takes_the_head_first(head):
    take_write_lock_first(True)
    db.session.execute(text("SELECT 1"))
    assert _head_is_free()  # a read takes nothing
    db.session.execute(A_WRITE)
    assert not _head_is_free()
    db.session.commit()
    assert _head_is_free()


def test_outside_a_request_or_task_a_write_leaves_the_head_alone(head):
    take_write_lock_first(False)
    db.session.execute(A_WRITE)
    assert _head_is_free()


def test_a_rolled_back_savepoint_gives_the_head_back_and_the_next_write_takes_it_again(head):
    take_write_lock_first(True)
    db.session.execute(text("SELECT 1"))
    savepoint = db.session.begin_nested()
    db.session.execute(A_WRITE)
    assert not _head_is_free()
    savepoint.rollback()
    assert _head_is_free()
    db.session.execute(A_WRITE)
    assert not _head_is_free()
