"""SQLite as an embedded database with several writers: a request that reads and then writes
(the audit row of a page view, the session's stamps) waits for another connection's write lock
instead of failing with "database is locked"; this process's writers take turns in order."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from referral.extensions import db
from referral.web import database
from tests.conftest import ON_POSTGRES
from tests.fixtures import login

sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's single writer; PostgreSQL "
                                                     "waits on row locks")


def _hold_write_lock(path: str, locked: threading.Event, seconds: float) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE audit_chain_head SET row_hash = row_hash")
    locked.set()
    time.sleep(seconds)
    other.execute("COMMIT")
    other.close()


@sqlite_only
@pytest.mark.parametrize("path", ["/referrals/inbox", "/notifications", "/cases"])
def test_a_page_view_waits_for_another_writer(client, world, path):
    """Before: the request began reading (its session), then its audit row was refused at once,
    a 500. Now its transaction asks for the write lock first and waits its turn."""
    login(client, world["crisis"])
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock,
                              args=(db.engine.url.database, locked, 0.8))
    holder.start()
    assert locked.wait(5)
    started = time.monotonic()
    response = client.get(path)
    holder.join()
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.5  # it did wait for the other writer


def test_writers_take_turns_in_the_order_they_asked():
    queue = database._WriterQueue()
    order: list[int] = []
    assert queue.acquire(1)
    threads = []
    for n in range(5):
        def writer(n: int = n) -> None:
            assert queue.acquire(5)
            order.append(n)
            queue.release()
        threads.append(threading.Thread(target=writer))
        threads[-1].start()
        time.sleep(0.05)  # each asks after the one before
    queue.release()
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]


def test_a_turn_left_by_an_ended_thread_is_taken_over():
    queue = database._WriterQueue()
    leaver = threading.Thread(target=queue.acquire, args=(1,))
    leaver.start()
    leaver.join()
    started = time.monotonic()
    assert queue.acquire(5)  # not the 5 s: the owner has ended
    assert time.monotonic() - started < 2
    queue.release()
