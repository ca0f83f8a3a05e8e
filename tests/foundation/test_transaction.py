"""run_action: one commit per action, nothing kept on refusal; SQLite writers wait their turn."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, select

from referral.agencies.models import District
from referral.errors import DomainError
from referral.extensions import db
from referral.web.transaction import run_action
from tests.conftest import ON_POSTGRES
from tests.fixtures import fresh


def _districts() -> int:
    return db.session.execute(select(func.count()).select_from(District)).scalar_one()


def test_a_refused_action_keeps_nothing(ctx):
    before = _districts()

    def action() -> None:
        db.session.add(District(region_code="KZ-75", name_en="Half-written"))
        db.session.flush()
        raise DomainError("refused")

    with pytest.raises(DomainError):
        run_action(action)
    fresh()
    assert _districts() == before


def test_a_successful_action_is_committed_once(ctx):
    before = _districts()
    district_id = run_action(lambda: _add("Committed").id)
    db.session.remove()
    assert db.session.get(District, district_id).name_en == "Committed"
    assert _districts() == before + 1


def _add(name: str) -> District:
    district = District(region_code="KZ-75", name_en=name)
    db.session.add(district)
    db.session.flush()
    return district


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's single-writer lock; PostgreSQL waits on rows")
@pytest.mark.parametrize("read_first", [False, True], ids=["fresh", "joined-a-read"])
def test_an_action_waits_for_another_sqlite_writer(ctx, read_first):
    """Another connection holds the write lock for a moment: the action waits or retries.

    A fresh transaction asks for the lock up front and waits, so it needs no retry at all; one
    that joined a read is refused at its first write and succeeds when run again.
    """
    path = db.engine.url.database
    locked = threading.Event()

    def hold_write_lock() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO districts (region_code, name_en, name_ru, name_kk, is_remote) "
                      "VALUES ('KZ-75', 'Other writer', '', '', 0)")
        locked.set()
        time.sleep(0.6)
        other.execute("COMMIT")
        other.close()

    _districts()  # connect once: the database is in WAL mode from here on
    db.session.remove()
    if read_first:
        _districts()  # the session now reads a snapshot that the other writer will change
    holder = threading.Thread(target=hold_write_lock)
    holder.start()
    locked.wait(5)
    run_action(lambda: (_districts(), _add("Waited")),
               within_seconds=5.0 if read_first else 0.0)
    holder.join()
    fresh()
    names = set(db.session.execute(select(District.name_en)).scalars())
    assert {"Other writer", "Waited"} <= names
