"""Publishing the outbox in batches: the same rows as one event at a time, each event once even
with two publishers at work, idempotent, and one bad event never holds up the others.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError

from referral.access.scope import acting_as, system_actor
from referral.events.models import OutboxEvent
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications import jobs, kinds, publishing, service
from referral.notifications.models import Delivery, Notification
from tests.conftest import ON_POSTGRES
from tests.fixtures import actor, fresh, make_user
from tests.notifications.factories import TEST_KIND, make_case, make_referral

BROKEN_KIND = "test.broken"


def _ping(world, case=None) -> OutboxEvent:
    case = case or make_case(world["police"], world["officer"])
    with acting_as(actor(world["officer"])):
        return emit(TEST_KIND, subject_type="case", subject_id=case.id, case_id=case.id,
                    receiver_agency_id=world["crisis_agency"].id)


def _pings(world, n: int) -> list[int]:
    ids = [_ping(world).id for _ in range(n)]
    db.session.commit()
    return ids


def _mixed_events(world) -> list[int]:
    """Events whose recipients differ in every way the publisher distinguishes."""
    crisis, police = world["crisis_agency"], world["police"]
    crisis.email = "duty@crisis.example.org"        # a duty mailbox of its own
    police.email = world["officer"].email.upper()   # the same address as a user: no second copy
    colleague = make_user(crisis)
    with acting_as(actor(colleague)):
        service.set_email_preference(actor(colleague), enabled=False)  # in-app only
    sealed = make_case(police, world["officer"], restricted=True,
                       members=(world["officer"], world["crisis"]))
    case = make_case(police, world["officer"])
    referral = make_referral(case, world["officer"], crisis)
    ids = []
    with acting_as(actor(world["manager"])):
        for kind in ("referral.sent", "referral.accepted", "referral.in_progress",
                     "referral.reassigned", "nobody.listens"):
            ids.append(emit(kind, subject_type="referral", subject_id=referral.id,
                            case_id=case.id, sender_agency_id=police.id,
                            receiver_agency_id=crisis.id).id)
        ids.append(emit("measure.breach", subject_type="case", subject_id=case.id,
                        case_id=case.id).id)
        ids.append(emit(TEST_KIND, subject_type="case", subject_id=sealed.id, case_id=sealed.id,
                        receiver_agency_id=crisis.id).id)
    db.session.commit()
    return ids


def _written() -> tuple[set, set]:
    notes = set(db.session.execute(select(
        Notification.event_id, Notification.user_id, Notification.kind, Notification.reference,
        Notification.subject_type, Notification.subject_id)).all())
    deliveries = set(db.session.execute(select(
        Delivery.event_id, Delivery.recipient, Delivery.user_id, Delivery.agency_id,
        Delivery.status, Delivery.attempts)).all())
    return notes, deliveries


def test_a_batch_writes_what_one_event_at_a_time_writes(world):
    ids = _mixed_events(world)
    db.session.execute(Notification.__table__.delete())  # as if every fan-out had failed
    db.session.commit()
    now = utcnow()
    with acting_as(system_actor("test")):
        assert publishing._publish_each(ids, now) == len(ids)
    one_by_one = _written()
    db.session.rollback()
    assert publishing.publish_batch(now=now) == (len(ids), None)
    batched = _written()
    db.session.commit()
    assert batched == one_by_one
    notes, deliveries = batched
    assert notes and deliveries
    assert {d[1] for d in deliveries} >= {f"agency:{world['crisis_agency'].id}"}
    assert f"agency:{world['police'].id}" not in {d[1] for d in deliveries}
    fresh()
    assert db.session.execute(select(func.count()).select_from(OutboxEvent).where(
        OutboxEvent.published_at.is_(None))).scalar_one() == 0


def test_publishing_again_writes_nothing_twice(world):
    _mixed_events(world)
    jobs.publish(lambda _id: None)
    before = _written()
    db.session.execute(update(OutboxEvent).values(published_at=None))  # published once more
    db.session.commit()
    jobs.publish(lambda _id: None)
    fresh()
    assert _written() == before
    assert set(db.session.execute(select(OutboxEvent.attempts)).scalars()) == {2}


def _break_a_kind(monkeypatch) -> None:
    """A kind with an audience nobody knows: resolving it raises, as a bug would."""
    broken = kinds.Kind(BROKEN_KIND, "Broken %(reference)s", "Broken.", ("no_such_audience",))
    monkeypatch.setitem(kinds._KINDS, BROKEN_KIND, broken)


def test_a_failing_event_does_not_hold_up_the_others(world, monkeypatch, caplog):
    _break_a_kind(monkeypatch)
    good = _pings(world, 2)
    case = make_case(world["police"], world["officer"])
    with acting_as(actor(world["officer"])):
        bad = emit(BROKEN_KIND, subject_type="case", subject_id=case.id, case_id=case.id).id
    db.session.commit()
    later = _pings(world, 2)
    queued: list[int] = []
    jobs.publish(queued.append)
    assert "publishing them one by one" in caplog.text
    fresh()
    events = {e.id: e for e in db.session.execute(select(OutboxEvent)).scalars()}
    assert all(events[i].published_at is not None for i in good + later)
    assert events[bad].published_at is None and events[bad].attempts == 1
    assert sorted(db.session.execute(select(Delivery.event_id)).scalars()) == good + later
    assert len(queued) == 4
    # The next runs try the bad one again, up to the limit, and leave the others alone.
    for _ in range(publishing.MAX_EVENT_ATTEMPTS + 2):
        jobs.publish(queued.append)
    fresh()
    assert db.session.get(OutboxEvent, bad).attempts == publishing.MAX_EVENT_ATTEMPTS
    assert len(queued) == 4 and db.session.execute(
        select(func.count()).select_from(Delivery)).scalar_one() == 4


def test_publishing_is_batched_not_one_event_at_a_time(app, world):
    """The number of statements does not grow with the number of events in a batch."""
    counted: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        counted.append(statement)

    def statements(n: int) -> int:
        _pings(world, n)
        counted.clear()
        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            jobs.publish(lambda _id: None)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
        return len(counted)

    jobs.publish(lambda _id: None)  # the first run ever also creates its bookkeeping row
    assert statements(20) == statements(2)


def _publish_in_thread(app, start: threading.Barrier, queued: list[int],
                       errors: list[BaseException]) -> None:
    try:
        with app.app_context():
            start.wait(timeout=10)
            jobs.publish(queued.append)
            db.session.remove()
    except BaseException as err:  # noqa: BLE001 - reported by the test
        errors.append(err)


def test_two_publish_runs_at_once_publish_each_event_once(app, world):
    app.config["NOTIFY_PUBLISH_BATCH"] = 3  # many batches, so the runs interleave
    ids = _pings(world, 15)
    db.session.remove()
    start = threading.Barrier(2)
    queued: list[list[int]] = [[], []]
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_publish_in_thread, args=(app, start, q, errors))
               for q in queued]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    fresh()
    events = db.session.execute(select(OutboxEvent).order_by(OutboxEvent.id)).scalars().all()
    assert [e.id for e in events] == ids
    assert {(e.attempts, e.published_at is not None) for e in events} == {(1, True)}
    deliveries = db.session.execute(select(Delivery.id)).scalars().all()
    assert len(deliveries) == len(ids)
    assert sorted(queued[0] + queued[1]) == sorted(deliveries)  # each handed on once


@pytest.mark.postgres
def test_a_second_publisher_takes_other_events_without_waiting(app, world):
    app.config["NOTIFY_PUBLISH_BATCH"] = 2
    ids = _pings(world, 4)
    now = utcnow()
    assert publishing.publish_batch(now=now)[0] == 2  # claimed and locked, not committed
    with app.app_context():  # another session: another connection
        db.session.execute(text("SET LOCAL lock_timeout = '3s'"))
        try:
            assert publishing.publish_batch(now=now)[0] == 2
            db.session.commit()
        except OperationalError:  # pragma: no cover - it waited for the first one's rows
            pytest.fail("the second publisher waited for the batch the first one holds")
        finally:
            db.session.remove()
    db.session.commit()
    fresh()
    assert {e.attempts for e in db.session.execute(select(OutboxEvent)).scalars()} == {1}
    assert sorted(db.session.execute(select(Delivery.event_id)).scalars()) == ids


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's single writer")
def test_on_sqlite_a_later_batch_takes_the_write_lock_before_reading(app, world):
    app.config["NOTIFY_PUBLISH_BATCH"] = 2
    _pings(world, 5)
    begins: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", seen)
    try:
        jobs.publish(lambda _id: None)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", seen)
    assert begins.count("BEGIN IMMEDIATE") >= 2  # the second and third batches
