"""Reminders, expiry, escalation and digests: swept from database rows, each at most once.

Time is controlled with time-machine; concurrent sweeps run in threads with real connections.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from referral.access.scope import acting_as, system_actor
from referral.extensions import db
from referral.notifications import jobs
from referral.notifications.models import Notification, ReminderLog, SweepState
from referral.referrals.models import Referral
from tests.fixtures import fresh
from tests.notifications.factories import NOW, make_case, make_measure, make_referral

WINDOW = timedelta(hours=10)


def _told(user, kind: str) -> int:
    fresh()
    return db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind)).scalar_one()


def _sweep_at(moment: datetime, times: int = 1) -> None:
    with time_machine.travel(moment, tick=False):
        for _ in range(times):
            jobs.sweep_reminders()


def _pending(world, **fields):
    case = make_case(world["police"], world["officer"])
    referral = make_referral(case, world["officer"], world["crisis_agency"], sent_at=NOW,
                             window=WINDOW, **fields)
    db.session.commit()
    return referral


def test_walk_a_referral_through_50_80_percent_and_past_its_deadline(world):
    referral = _pending(world)
    crisis, officer, coordinator = world["crisis"], world["officer"], world["coordinator"]
    _sweep_at(NOW + WINDOW * 0.4, times=2)
    assert _told(crisis, "reminder.referral_pending") == 0
    _sweep_at(NOW + WINDOW * 0.55, times=3)
    assert _told(crisis, "reminder.referral_pending") == 1
    _sweep_at(NOW + WINDOW * 0.7)
    assert _told(crisis, "reminder.referral_pending") == 1
    _sweep_at(NOW + WINDOW * 0.85, times=3)
    assert _told(crisis, "reminder.referral_pending") == 2
    assert _told(officer, "referral.expired") == 0
    _sweep_at(NOW + WINDOW + timedelta(minutes=1), times=3)
    fresh()
    with acting_as(system_actor("test")):
        assert db.session.execute(
            select(Referral.status).where(Referral.id == referral.id)).scalar_one() == "expired"
    assert _told(officer, "referral.expired") == 1      # the sender is told
    assert _told(coordinator, "referral.expired") == 1  # the region's coordinator alerted
    assert _told(crisis, "reminder.referral_pending") == 2
    thresholds = db.session.execute(select(ReminderLog.threshold).where(
        ReminderLog.kind == "reminder.referral_pending")).scalars().all()
    assert sorted(t.split("@")[0] for t in thresholds) == ["50%", "80%"]


def test_a_late_sweep_sends_only_the_highest_threshold(world):
    _pending(world)
    _sweep_at(NOW + WINDOW * 0.9)
    _sweep_at(NOW + WINDOW * 0.95)
    assert _told(world["crisis"], "reminder.referral_pending") == 1


def test_a_new_deadline_starts_fresh_reminders(world):
    referral = _pending(world)
    _sweep_at(NOW + WINDOW * 0.85)
    assert _told(world["crisis"], "reminder.referral_pending") == 1
    with acting_as(system_actor("test")):
        db.session.execute(select(Referral).where(Referral.id == referral.id)).scalar_one() \
            .deadline_at = NOW + WINDOW * 3
        db.session.commit()
    _sweep_at(NOW + WINDOW * 2.5)
    assert _told(world["crisis"], "reminder.referral_pending") == 2


def test_no_progress_reminds_the_assignee_once_per_stall(app, world):
    app.config.update(NOTIFY_NO_PROGRESS_DAYS=5)
    referral = _pending(world, accepted_at=NOW, assignee_user_id=world["crisis"].id)
    with acting_as(system_actor("test")):
        db.session.execute(select(Referral).where(Referral.id == referral.id)).scalar_one() \
            .status = "accepted"
        db.session.commit()
    _sweep_at(NOW + timedelta(days=4))
    assert _told(world["crisis"], "reminder.referral_no_progress") == 0
    _sweep_at(NOW + timedelta(days=5, minutes=1), times=2)
    _sweep_at(NOW + timedelta(days=7))
    assert _told(world["crisis"], "reminder.referral_no_progress") == 1
    with acting_as(system_actor("test")):
        row = db.session.execute(select(Referral).where(Referral.id == referral.id)).scalar_one()
        row.status, row.last_progress_at = "in_progress", NOW + timedelta(days=8)
        db.session.commit()
    _sweep_at(NOW + timedelta(days=12))
    assert _told(world["crisis"], "reminder.referral_no_progress") == 1
    _sweep_at(NOW + timedelta(days=13, minutes=1))
    assert _told(world["crisis"], "reminder.referral_no_progress") == 2


def test_protective_measure_ending_in_3_days_and_in_1_day_tells_the_lead_agency(world):
    case = make_case(world["police"], world["officer"])
    today = NOW.date()  # 11:00 in Almaty: the same date
    make_measure(case, world["officer"], ends_on=today + timedelta(days=5))
    db.session.commit()
    lead = (world["officer"], world["manager"])
    _sweep_at(NOW)
    assert [_told(u, "reminder.protective_measure_ending") for u in lead] == [0, 0]
    _sweep_at(NOW + timedelta(days=2), times=2)
    assert [_told(u, "reminder.protective_measure_ending") for u in lead] == [1, 1]
    _sweep_at(NOW + timedelta(days=3))
    assert [_told(u, "reminder.protective_measure_ending") for u in lead] == [1, 1]
    _sweep_at(NOW + timedelta(days=4), times=2)
    assert [_told(u, "reminder.protective_measure_ending") for u in lead] == [2, 2]
    assert _told(world["crisis"], "reminder.protective_measure_ending") == 0


def test_high_risk_case_without_accepted_referral_escalates_to_the_coordinator(app, world):
    app.config.update(NOTIFY_HIGH_RISK_UNACCEPTED_HOURS=12)
    make_case(world["police"], world["officer"], risk_level="high", high_risk_flagged_at=NOW)
    served = make_case(world["police"], world["officer"], risk_level="high",
                       high_risk_flagged_at=NOW)
    make_referral(served, world["officer"], world["crisis_agency"], status="accepted")
    db.session.commit()
    _sweep_at(NOW + timedelta(hours=11))
    assert _told(world["coordinator"], "escalation.high_risk_unaccepted") == 0
    _sweep_at(NOW + timedelta(hours=13), times=3)
    assert _told(world["coordinator"], "escalation.high_risk_unaccepted") == 1
    assert _told(world["other"], "escalation.high_risk_unaccepted") == 0


def test_daily_digest_at_eight_local_time_once_a_day(world):
    eight_almaty = datetime(2026, 3, 17, 3, 0, tzinfo=UTC)  # 08:00 in Asia/Almaty (UTC+5)
    _sweep_at(eight_almaty - timedelta(minutes=1))
    assert _told(world["coordinator"], "digest.daily") == 0
    _sweep_at(eight_almaty, times=2)
    assert _told(world["coordinator"], "digest.daily") == 1
    _sweep_at(eight_almaty + timedelta(hours=5))
    assert _told(world["coordinator"], "digest.daily") == 1
    _sweep_at(eight_almaty + timedelta(days=1, minutes=1))
    assert _told(world["coordinator"], "digest.daily") == 2
    assert _told(world["officer"], "digest.daily") == 0


def test_digest_counts_what_the_coordinator_may_see(world):
    make_case(world["police"], world["officer"], risk_level="high")
    make_case(world["police"], world["officer"], risk_level="high", restricted=True,
              members=(world["officer"],))
    make_case(world["other_agency"], world["other"], risk_level="high")  # another region
    db.session.commit()
    _sweep_at(datetime(2026, 3, 17, 3, 0, tzinfo=UTC))
    note = db.session.execute(select(Notification).where(
        Notification.user_id == world["coordinator"].id,
        Notification.kind == "digest.daily")).scalar_one()
    assert note.event.data["attention"] == 1


def _concurrently(app, target, count: int = 2) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                barrier.wait()
                try:
                    target()
                finally:
                    db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def _high_risk_and_pending(world):
    make_case(world["police"], world["officer"], risk_level="high",
              high_risk_flagged_at=NOW - timedelta(days=3))
    _pending(world)


def test_two_sweeps_at_once_send_one_reminder_and_one_escalation(app, world):
    _high_risk_and_pending(world)
    moment = NOW + WINDOW * 0.6
    assert _concurrently(app, lambda: jobs.sweep_reminders(now=moment), count=3) == []
    assert _told(world["crisis"], "reminder.referral_pending") == 1
    assert _told(world["coordinator"], "escalation.high_risk_unaccepted") == 1
    fresh()
    assert db.session.execute(select(SweepState.runs)).scalar_one() == 3


@pytest.mark.postgres
def test_unique_keys_hold_even_without_the_sweep_lock(app, world):
    """PostgreSQL: rules run in parallel transactions; the unique key stops the second one."""
    from referral.notifications import reminders

    _high_risk_and_pending(world)
    moment = NOW + WINDOW * 0.6

    def sweep_without_lock() -> None:
        reminders.run_all(now=moment)
        db.session.commit()

    assert _concurrently(app, sweep_without_lock, count=4) == []
    assert _told(world["crisis"], "reminder.referral_pending") == 1
    assert _told(world["coordinator"], "escalation.high_risk_unaccepted") == 1
