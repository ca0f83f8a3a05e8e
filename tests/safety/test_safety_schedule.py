"""The re-assessment schedule: each level's due date from the data file, a new incident makes
one due at once, the minimum measures checked against the case, and the sweep's reminder and
escalation sent once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from referral.access.scope import acting_as, system_actor
from referral.cases import incidents
from referral.cases.models import Case
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.safety import notify, policy, service, status
from referral.safety.models import ReassessmentSchedule
from tests.cases import factories as cf
from tests.fixtures import actor
from tests.safety.factories import assess, plan_input


def _schedule(case_id: int) -> ReassessmentSchedule:
    with acting_as(system_actor("test")):
        return db.session.execute(select(ReassessmentSchedule).where(
            ReassessmentSchedule.case_id == case_id)).scalar_one()


def test_the_policy_file_gives_every_level_its_interval_and_cites_its_source():
    loaded = policy.current()
    assert {code: p.interval.days for code, p in loaded.levels.items()} == {
        "high": 7, "medium": 30, "standard": 60}
    assert loaded.version and loaded.source.title_en and loaded.source_url.startswith("https://")
    for label in (loaded.source, *loaded.measures.values()):
        assert label.title_ru and label.title_kk


def test_a_policy_naming_an_unknown_measure_or_leaving_out_a_level_is_refused():
    raw = {"version": "x", "source": {"title_en": "a", "title_ru": "a", "title_kk": "a"},
           "measures": {}, "levels": {
               "high": {"interval_days": 7, "escalate_after_days": 1, "measures": ["flowers"]}}}
    with pytest.raises(ValueError, match="unknown measures"):
        policy.parse(raw)
    raw["levels"]["high"]["measures"] = []
    with pytest.raises(ValueError, match="every risk level"):
        policy.parse(raw)


@pytest.mark.parametrize(("level", "days"), [("standard", 60), ("medium", 30), ("high", 7)])
def test_each_level_sets_its_due_date(ctx, world, level, days):
    police = actor(world["officer"])
    case, _ = cf.family_case(police)
    assessment = assess(police, case.id, level)
    db.session.commit()
    row = _schedule(case.id)
    assert assessment.level == level and row.level == level and row.basis == "interval"
    assert row.due_at == assessment.assessed_at + timedelta(days=days)
    assert row.policy_version == policy.current().version
    shown = status.case_safety(police, case)
    assert shown.due.due_at == row.due_at and not shown.due.overdue(datetime.now(UTC))


def test_a_new_incident_makes_the_reassessment_due_at_once_an_older_one_does_not(ctx, world):
    police = actor(world["officer"])
    case, _ = cf.family_case(police)
    assess(police, case.id, "standard")
    incidents.record_incident(police, case.id, cf.incident_input(
        occurred_at=datetime.now(UTC) - timedelta(days=3)))  # before the assessment
    db.session.commit()
    assert _schedule(case.id).basis == "interval"
    incidents.record_incident(police, case.id, cf.incident_input(occurred_at=datetime.now(UTC)))
    db.session.commit()
    row = _schedule(case.id)
    assert row.basis == "incident" and row.due_at <= datetime.now(UTC)
    assert status.case_safety(police, case).due.overdue(datetime.now(UTC))
    assess(police, case.id, "high")  # the re-assessment sets the next date from its level
    db.session.commit()
    row = _schedule(case.id)
    assert row.basis == "interval" and row.due_at > datetime.now(UTC) + timedelta(days=6)


def test_an_incident_on_a_case_never_assessed_makes_an_assessment_due(ctx, world):
    police = actor(world["officer"])
    case, _ = cf.family_case(police)
    incidents.record_incident(police, case.id, cf.incident_input())
    db.session.commit()
    row = _schedule(case.id)
    assert row.basis == "incident" and row.assessed_at is None and row.level is None


def test_the_missing_measures_follow_the_case_data(ctx, world):
    police = actor(world["officer"])
    case, members = cf.family_case(police)
    assess(police, case.id, "high")
    db.session.commit()
    missing = [m.title_en for m in status.case_safety(police, case).due.missing]
    assert missing == ["A referral to a crisis center offered",
                       "A safety plan made with the survivor",
                       "The case on the next case conference's agenda"]
    service.save_plan(police, members["survivor"].id, plan_input(), based_on=None)
    from tests.referrals.factories import consent, send

    send(world["officer"], case, world["crisis_agency"], consent_input=consent("identity_contact"))
    db.session.commit()
    missing = [m.title_en for m in status.case_safety(police, case).due.missing]
    assert missing == ["The case on the next case conference's agenda"]
    _on_next_conference(world, case)
    assert status.case_safety(police, case).due.missing == []


def _on_next_conference(world, case) -> None:
    from referral.coordination.models import AgendaItem, CaseConference

    with acting_as(system_actor("test")):
        conference = CaseConference(region_code="KZ-75", created_by_id=world["coordinator"].id,
                                    scheduled_at=datetime.now(UTC) + timedelta(days=3))
        db.session.add(conference)
        db.session.flush()
        db.session.add(AgendaItem(conference_id=conference.id, case_id=case.id,
                                  reason="high_risk", case_reference=case.reference,
                                  added_by_id=world["coordinator"].id))
    db.session.commit()


def _sent(kind: str) -> int:
    with acting_as(system_actor("test")):
        return db.session.execute(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.kind == kind)).scalar_one()


def _sweep(now: datetime) -> int:
    with acting_as(system_actor("test sweep")):
        sent = notify.remind_reassessments(now=now)
    db.session.commit()
    return sent


def test_the_sweep_reminds_when_due_and_escalates_when_overdue_once_each(ctx, world):
    police = actor(world["officer"])
    case, _ = cf.family_case(police)
    assess(police, case.id, "high")
    db.session.commit()
    due = _schedule(case.id).due_at
    assert _sweep(due - timedelta(minutes=1)) == 0
    assert _sweep(due + timedelta(minutes=1)) == 1
    assert _sweep(due + timedelta(minutes=2)) == 0
    assert (_sent(notify.DUE), _sent(notify.OVERDUE)) == (1, 0)
    escalate = policy.current().levels["high"].escalate_after
    assert _sweep(due + escalate - timedelta(minutes=1)) == 0
    assert _sweep(due + escalate + timedelta(minutes=1)) == 1
    assert _sweep(due + escalate + timedelta(hours=1)) == 0
    assert (_sent(notify.DUE), _sent(notify.OVERDUE)) == (1, 1)
    with acting_as(system_actor("test")):
        event = db.session.execute(select(OutboxEvent).where(
            OutboxEvent.kind == notify.OVERDUE)).scalar_one()
    assert (event.subject_type, event.subject_id) == ("case", case.id)


def test_closed_cases_are_not_reminded(ctx, world):
    police = actor(world["officer"])
    case, _ = cf.family_case(police)
    assess(police, case.id, "medium")
    db.session.commit()
    due = _schedule(case.id).due_at
    with acting_as(system_actor("test")):  # closed by the database: closure has its own rules
        db.session.execute(update(Case.__table__).where(Case.__table__.c.id == case.id)
                           .values(status="closed"))
    db.session.commit()
    assert _sweep(due + timedelta(days=60)) == 0


def test_a_change_of_policy_moves_the_due_dates_written_under_the_old_one(ctx, world):
    from dataclasses import replace

    from referral.safety.schedule import reschedule

    police = actor(world["officer"])
    case, _ = cf.family_case(police)
    assessment = assess(police, case.id, "medium")
    db.session.commit()
    old = policy.current()
    new = replace(old, version="test-2", levels={**old.levels, "medium": replace(
        old.levels["medium"], interval=timedelta(days=14))})
    with acting_as(system_actor("test")):
        assert reschedule(new) == 1
        assert reschedule(new) == 0
    db.session.commit()
    assert _schedule(case.id).due_at == assessment.assessed_at + timedelta(days=14)
