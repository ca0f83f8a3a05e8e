"""The sweep's batch path: many referrals expired and many reminders sent in a few statements,
with exactly what the one-at-a-time path would have written."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.audit.service import verify_chain
from referral.cases.models import TimelineEntry
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.notifications import rules
from referral.notifications.kinds import get_kind
from referral.notifications.models import Notification, ReminderLog
from referral.notifications.recipients import load_subject, resolve
from referral.referrals import notify
from referral.referrals.models import Referral, ReferralHistory
from referral.referrals.notify import expire_overdue_referrals
from tests.fixtures import fresh, make_agency, make_user
from tests.notifications.factories import NOW, make_case, make_referral

WINDOW = timedelta(hours=10)


def _overdue_referrals(world, count: int) -> list[Referral]:
    """``count`` unanswered referrals from two regions' agencies to three receivers; the 2nd,
    22nd and 42nd on a sealed case whose only member is the sending officer."""
    north_police = world["other_agency"]
    make_user(make_agency("coordination", "KZ-43", name="Akimat B"), Role.COORDINATOR,
              regions=("KZ-43",))
    receivers = [world["crisis_agency"],
                 make_agency("social_services", "KZ-75", name="Social A"),
                 make_agency("crisis_center", "KZ-43", name="Crisis B")]
    for receiver in receivers[1:]:
        make_user(receiver, Role.OFFICER)
        make_user(receiver, Role.AGENCY_MANAGER)
    made = []
    for n in range(count):
        sender = world["officer"] if n % 2 else world["other"]
        owner = world["police"] if n % 2 else north_police
        sealed = n % 20 == 1
        case = make_case(owner, sender, restricted=sealed, members=(sender,) if sealed else ())
        made.append(make_referral(case, sender, receivers[n % 3], sent_at=NOW, window=WINDOW))
    db.session.commit()
    return made


def _expire(moment=NOW + WINDOW + timedelta(minutes=1)) -> tuple[list[int], int]:
    """Expire what is due at ``moment`` and commit; the ids, and the statements it took."""
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        expired = expire_overdue_referrals(now=moment)
        db.session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return expired, statements


def _rows_per_referral(model, column, ids) -> Counter:
    return Counter(db.session.execute(select(column).where(column.in_(ids))).scalars())


def test_a_batch_of_expiries_records_each_referral_once_and_keeps_the_chain(world):
    made = _overdue_referrals(world, 12)
    ids = [r.id for r in made]
    expired, _ = _expire()
    assert sorted(expired) == sorted(ids)
    fresh()
    with acting_as(system_actor("test")):
        statuses = set(db.session.execute(
            select(Referral.status).where(Referral.id.in_(ids))).scalars())
        assert statuses == {"expired"}
        history = _rows_per_referral(ReferralHistory, ReferralHistory.referral_id, ids)
        timeline = Counter(db.session.execute(select(TimelineEntry.object_id).where(
            TimelineEntry.kind == "referral.expire", TimelineEntry.object_id.in_(ids))).scalars())
    audits = Counter(int(i) for i in db.session.execute(select(AuditEvent.object_id).where(
        AuditEvent.action == "referral.expire")).scalars())
    events = Counter(db.session.execute(select(OutboxEvent.subject_id).where(
        OutboxEvent.kind == "referral.expired")).scalars())
    for each in (history, timeline, audits, events):
        assert each == Counter(ids)
    report = verify_chain()
    assert report.ok, report


def test_batch_fan_out_tells_exactly_whom_one_event_at_a_time_would(world):
    made = _overdue_referrals(world, 12)
    _expire()
    fresh()
    written: dict[int, set[int]] = {}
    for event_id, user_id in db.session.execute(select(Notification.event_id,
                                                       Notification.user_id)):
        written.setdefault(event_id, set()).add(user_id)
    events = db.session.execute(select(OutboxEvent).where(
        OutboxEvent.kind == "referral.expired")).scalars().all()
    assert len(events) == len(made)
    for outbox_event in events:
        fresh()  # a new transaction: nothing remembered, every fact read again
        kind = get_kind(outbox_event.kind)
        expected = resolve(outbox_event, kind, load_subject(outbox_event)).user_ids
        assert written.get(outbox_event.id, set()) == expected, outbox_event.subject_id
    sealed = next(e for e in events if e.subject_id == made[1].id)
    # Sealed: only its member (the sending officer) hears, no coordinator and no colleague.
    assert written[sealed.id] == {world["officer"].id}
    north = next(e for e in events if e.subject_id == made[0].id)
    assert world["other"].id in written[north.id] and world["officer"].id not in written[north.id]


@pytest.mark.postgres
def test_statements_per_expiry_batch_do_not_grow_with_the_batch(world):
    made = _overdue_referrals(world, 44)
    later = [r.id for r in made[4:]]
    with acting_as(system_actor("test")):
        db.session.execute(Referral.__table__.update().where(Referral.id.in_(later)).values(
            deadline_at=NOW + WINDOW * 2))
        db.session.commit()
    _expire(NOW)  # nothing due: the connection's own first statements are not counted below
    expired_small, small = _expire(NOW + WINDOW + timedelta(minutes=1))
    expired_large, large = _expire(NOW + WINDOW * 2 + timedelta(minutes=1))
    assert (len(expired_small), len(expired_large)) == (4, 40)
    assert large == small, (small, large)


def test_a_reminder_logged_before_is_not_sent_again_and_the_others_are(world):
    made = _overdue_referrals(world, 3)
    threshold = f"50%@{rules.stamp(made[0].deadline_at)}"
    with acting_as(system_actor("test")):
        db.session.add(ReminderLog(subject_type="referral", subject_id=made[0].id,
                                   kind=notify.PENDING, threshold=threshold))
        db.session.commit()
        sent = rules.once_many([
            notify._referral_reminder(notify.PENDING, r, threshold if i == 0 else
                                      f"50%@{rules.stamp(r.deadline_at)}", threshold=50)
            for i, r in enumerate(made)])
        db.session.commit()
    assert sent == 2
    fresh()
    logs = db.session.execute(select(ReminderLog).where(
        ReminderLog.kind == notify.PENDING)).scalars().all()
    assert len(logs) == 3
    linked = {log.subject_id: log.event_id for log in logs}
    assert linked[made[0].id] is None  # the earlier row is left as it was
    events = dict(db.session.execute(select(OutboxEvent.id, OutboxEvent.subject_id).where(
        OutboxEvent.kind == notify.PENDING)).all())
    assert {linked[made[1].id], linked[made[2].id]} == set(events)
    assert sorted(events.values()) == sorted([made[1].id, made[2].id])


def test_a_failing_batch_fan_out_keeps_the_expiry_and_leaves_the_rows_to_the_publisher(
        world, monkeypatch):
    from referral.notifications import publishing, service

    made = _overdue_referrals(world, 3)

    def broken(_events):
        raise RuntimeError("recipient lookup failed")

    monkeypatch.setattr(service, "load_subjects", broken)
    expired, _ = _expire()
    assert sorted(expired) == sorted(r.id for r in made)
    fresh()
    assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 0
    monkeypatch.undo()
    publishing.publish_events(now=NOW + WINDOW * 2)
    db.session.commit()
    fresh()
    told = db.session.execute(select(func.count(func.distinct(Notification.event_id)))).scalar_one()
    assert told == 3
