"""Case conferences: scheduling, agenda proposal and editing, attendance, minutes, actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.coordination.models import AgendaReason, ConferenceAttendance
from referral.coordination.service import actions as action_service
from referral.coordination.service import conferences as service
from referral.errors import DomainError, NotVisible, StaleEdit
from referral.events.models import OutboxEvent
from referral.extensions import db
from tests.coordination.factories import (
    NOW,
    make_assessment,
    make_case,
    make_incident,
    make_referral,
)
from tests.fixtures import actor, make_agency, make_user


@pytest.fixture
def conf_world(world):
    w = dict(world)
    w["crisis_agency"] = db.session.get(type(w["police"]), w["crisis"].agency_id)
    w["kz43_coord"] = make_user(w["other_agency"], Role.COORDINATOR, regions=("KZ-43",))
    w["special"] = make_agency("special_police", "KZ-75", name="Special unit A")
    w["special_officer"] = make_user(w["special"], Role.OFFICER)
    db.session.commit()
    return w


def _schedule(w, days=3):
    return service.schedule_conference(actor(w["coordinator"]), region_code="KZ-75",
                                       scheduled_at=NOW + timedelta(days=days), location="Room 4")


def test_schedule_invites_region_agencies_only(conf_world):
    w = conf_world
    conference = _schedule(w)
    with acting_as(system_actor("test")):
        invited = set(db.session.execute(select(ConferenceAttendance.agency_id).where(
            ConferenceAttendance.conference_id == conference.id)).scalars())
    assert invited == {w["police"].id, w["crisis_agency"].id, w["special"].id}


def test_schedule_refused_outside_own_region_and_for_non_coordinators(conf_world):
    w = conf_world
    with pytest.raises(NotVisible):
        service.schedule_conference(actor(w["coordinator"]), region_code="KZ-43",
                                    scheduled_at=NOW)
    for who in ("officer", "manager", "admin"):
        with pytest.raises(NotVisible):
            service.schedule_conference(actor(w[who]), region_code="KZ-75", scheduled_at=NOW)


def test_other_regions_coordinator_and_administrator_see_nothing(conf_world):
    w = conf_world
    conference = _schedule(w)
    db.session.commit()
    for who in ("kz43_coord", "admin", "officer"):
        with pytest.raises(NotVisible):
            service.get_conference_for(actor(w[who]), conference.id)
        assert service.list_conferences_for(actor(w[who])) == []
    assert [c.id for c in service.list_conferences_for(actor(w["coordinator"]))] == [conference.id]


def test_agenda_proposal_lists_qualifying_cases_with_reasons(conf_world):
    w = conf_world
    officer = w["officer"]
    high = make_case(w["police"], officer, risk_level="high")
    repeat = make_case(w["police"], officer)
    make_incident(repeat, officer, occurred_at=NOW - timedelta(days=200))
    make_incident(repeat, officer, occurred_at=NOW - timedelta(days=20))
    flagged = make_case(w["police"], officer)
    make_incident(flagged, officer, occurred_at=NOW - timedelta(days=5), is_repeat=True)
    old_repeat = make_case(w["police"], officer)
    make_incident(old_repeat, officer, occurred_at=NOW - timedelta(days=500))
    make_incident(old_repeat, officer, occurred_at=NOW - timedelta(days=400), is_repeat=True)
    judged = make_case(w["police"], officer, risk_level="medium")
    make_assessment(judged, officer, level="high", override_level="high",
                    at=NOW - timedelta(days=9))
    lowered = make_case(w["police"], officer, risk_level="medium")
    make_assessment(lowered, officer, level="high", override_level="high",
                    at=NOW - timedelta(days=9))
    make_assessment(lowered, officer, level="medium", at=NOW - timedelta(days=1))
    expired = make_case(w["police"], officer)
    make_referral(expired, officer, w["crisis_agency"], status="expired")
    make_case(w["police"], officer)  # standard, nothing to discuss
    make_case(w["police"], officer, risk_level="high", restricted=True)
    make_case(w["police"], officer, risk_level="high", status="closed")
    make_case(w["other_agency"], w["other"], risk_level="high")  # another region
    both = make_case(w["police"], officer, risk_level="high")
    make_incident(both, officer, occurred_at=NOW - timedelta(days=2), is_repeat=True)
    conference = _schedule(w)
    proposals = service.propose_agenda(actor(w["coordinator"]), conference_id=conference.id,
                                       now=NOW)
    got = {p.case_id: p.reasons for p in proposals}
    assert got == {
        high.id: [AgendaReason.HIGH_RISK],
        repeat.id: [AgendaReason.REPEAT],
        flagged.id: [AgendaReason.REPEAT],
        judged.id: [AgendaReason.PROFESSIONAL_JUDGEMENT],
        expired.id: [AgendaReason.EXPIRED_REFERRAL],
        both.id: [AgendaReason.HIGH_RISK, AgendaReason.REPEAT],
    }
    assert old_repeat.id not in got and lowered.id not in got
    # High risk first, most reasons first among them.
    assert [p.case_id for p in proposals][:2] == [both.id, high.id]
    service.add_case_to_agenda(actor(w["coordinator"]), conference_id=conference.id,
                               case_id=high.id, reason=AgendaReason.HIGH_RISK)
    again = service.propose_agenda(actor(w["coordinator"]), conference_id=conference.id, now=NOW)
    assert high.id not in {p.case_id for p in again}


def test_restricted_and_foreign_cases_never_go_on_the_agenda(conf_world):
    w = conf_world
    sealed = make_case(w["police"], w["officer"], risk_level="high", restricted=True,
                       members=(w["coordinator"],))
    foreign = make_case(w["other_agency"], w["other"], risk_level="high")
    conference = _schedule(w)
    for case in (sealed, foreign):
        with pytest.raises(NotVisible):
            service.add_case_to_agenda(actor(w["coordinator"]), conference_id=conference.id,
                                       case_id=case.id)


def test_adding_twice_keeps_one_item_and_next_conference_is_found(conf_world):
    w = conf_world
    case = make_case(w["police"], w["officer"], risk_level="high")
    with pytest.raises(DomainError):
        service.add_case_to_next_conference(actor(w["coordinator"]), case_id=case.id, now=NOW)
    later = _schedule(w, days=10)
    sooner = _schedule(w, days=3)
    item = service.add_case_to_next_conference(actor(w["coordinator"]), case_id=case.id, now=NOW)
    again = service.add_case_to_next_conference(actor(w["coordinator"]), case_id=case.id, now=NOW)
    assert item.id == again.id and item.conference_id == sooner.id != later.id


def test_summary_edit_refuses_a_stale_version(conf_world):
    w = conf_world
    case = make_case(w["police"], w["officer"], risk_level="high")
    conference = _schedule(w)
    item = service.add_case_to_agenda(actor(w["coordinator"]), conference_id=conference.id,
                                      case_id=case.id)
    service.record_summary(actor(w["coordinator"]), item_id=item.id, summary="Plan agreed",
                           expected_version=item.version)
    with pytest.raises(StaleEdit):
        service.record_summary(actor(w["coordinator"]), item_id=item.id, summary="Other",
                               expected_version=1)
    assert service.get_agenda_item_for(actor(w["coordinator"]), item.id).summary == "Plan agreed"


def _conference_with_actions(w):
    coord = actor(w["coordinator"])
    own = make_case(w["police"], w["officer"], risk_level="high")
    crisis_case = make_case(w["crisis_agency"], w["crisis"], risk_level="high")
    conference = _schedule(w)
    own_item = service.add_case_to_agenda(coord, conference_id=conference.id, case_id=own.id)
    crisis_item = service.add_case_to_agenda(coord, conference_id=conference.id,
                                             case_id=crisis_case.id)
    service.record_summary(coord, item_id=own_item.id, summary="Police case discussed",
                           expected_version=own_item.version)
    service.record_summary(coord, item_id=crisis_item.id, summary="Crisis case discussed",
                           expected_version=crisis_item.version)
    service.record_attendance(coord, conference_id=conference.id,
                              attended_agency_ids=[w["police"].id, w["special"].id])
    today = NOW.date()
    police_action = action_service.assign_action(
        coord, item_id=crisis_item.id, agency_id=w["police"].id, owner_user_id=w["officer"].id,
        description="Check the protective order", due_on=today + timedelta(days=7), today=today)
    crisis_action = action_service.assign_action(
        coord, item_id=crisis_item.id, agency_id=w["crisis_agency"].id, owner_user_id=None,
        description="Offer a shelter place", due_on=today + timedelta(days=3), today=today)
    db.session.commit()
    return conference, own_item, crisis_item, police_action, crisis_action


def test_minutes_shared_with_attending_agencies_within_consent(conf_world):
    w = conf_world
    conference, own_item, crisis_item, police_action, crisis_action = _conference_with_actions(w)
    _, items = service.minutes_for(actor(w["officer"]), conference.id)
    by_case = {m.item.id: m for m in items}
    # Police owns the first case: reads its discussion.
    assert by_case[own_item.id].readable
    # The crisis center's case is not shared with the police: discussion withheld, but the
    # police see their own action on it and not the crisis center's.
    assert not by_case[crisis_item.id].readable
    assert [a.id for a in by_case[crisis_item.id].actions] == [police_action.id]
    # The crisis center did not attend: no minutes at all. Special unit attended, sees nothing
    # of the cases (no access) and no actions (none assigned to it).
    with pytest.raises(NotVisible):
        service.minutes_for(actor(w["crisis"]), conference.id)
    _, special_items = service.minutes_for(actor(w["special_officer"]), conference.id)
    assert all(not m.readable and not m.actions for m in special_items)
    # The coordinator reads everything.
    _, all_items = service.minutes_for(actor(w["coordinator"]), conference.id)
    assert all(m.readable for m in all_items)
    assert {a.id for m in all_items for a in m.actions} == {police_action.id, crisis_action.id}


def test_actions_appear_in_the_assigned_agencys_work_list(conf_world):
    w = conf_world
    conference, _, crisis_item, police_action, crisis_action = _conference_with_actions(w)
    assert [a.id for a in action_service.list_agency_actions(actor(w["officer"]))] == [
        police_action.id]
    assert [a.id for a in action_service.list_agency_actions(actor(w["manager"]))] == [
        police_action.id]
    assert [a.id for a in action_service.list_agency_actions(actor(w["crisis"]))] == [
        crisis_action.id]
    assert action_service.list_agency_actions(actor(w["other"])) == []
    kinds = db.session.execute(select(OutboxEvent.kind, OutboxEvent.subject_id, OutboxEvent.data)
                               .where(OutboxEvent.kind == "conference_action.assigned")).all()
    assert {(k.subject_id, k.data["agency_id"]) for k in kinds} == {
        (police_action.id, w["police"].id), (crisis_action.id, w["crisis_agency"].id)}


def test_assigned_agency_completes_its_action_once(conf_world):
    w = conf_world
    _, _, _, police_action, crisis_action = _conference_with_actions(w)
    with pytest.raises(NotVisible):
        action_service.complete_action(actor(w["other"]), action_id=police_action.id)
    with pytest.raises(NotVisible):
        action_service.complete_action(actor(w["officer"]), action_id=crisis_action.id)
    action_service.complete_action(actor(w["officer"]), action_id=police_action.id)
    with pytest.raises(DomainError):
        action_service.complete_action(actor(w["manager"]), action_id=police_action.id)
    assert action_service.list_agency_actions(actor(w["officer"])) == []


def test_action_validation(conf_world):
    w = conf_world
    coord = actor(w["coordinator"])
    case = make_case(w["police"], w["officer"], risk_level="high")
    conference = _schedule(w)
    item = service.add_case_to_agenda(coord, conference_id=conference.id, case_id=case.id)
    today = NOW.date()
    cases = [
        dict(agency_id=w["other_agency"].id, owner_user_id=None, description="x",
             due_on=today),
        dict(agency_id=w["police"].id, owner_user_id=w["crisis"].id, description="x",
             due_on=today),
        dict(agency_id=w["police"].id, owner_user_id=None, description="  ", due_on=today),
        dict(agency_id=w["police"].id, owner_user_id=None, description="x",
             due_on=today - timedelta(days=1)),
    ]
    for kwargs in cases:
        with pytest.raises(DomainError):
            action_service.assign_action(coord, item_id=item.id, today=today, **kwargs)
    with pytest.raises(NotVisible):
        action_service.assign_action(actor(w["officer"]), item_id=item.id, today=today,
                                     **cases[0])


def test_next_conference_starts_with_open_actions_of_the_last(conf_world):
    w = conf_world
    conference, own_item, crisis_item, police_action, crisis_action = _conference_with_actions(w)
    action_service.complete_action(actor(w["crisis"]), action_id=crisis_action.id)
    service.mark_held(actor(w["coordinator"]), conference_id=conference.id, now=NOW)
    following = _schedule(w, days=17)
    items = service.list_agenda(actor(w["coordinator"]), following.id)
    assert [(i.case_id, i.reason) for i in items] == [
        (crisis_item.case_id, AgendaReason.OPEN_ACTIONS)]
    previous = service.previous_conference(actor(w["coordinator"]), following)
    assert previous.id == conference.id
    assert [a.id for a in service.open_actions_of(actor(w["coordinator"]), previous.id)] == [
        police_action.id]


def test_reminder_sweep_is_idempotent_and_staged(conf_world):
    w = conf_world
    _, _, _, police_action, crisis_action = _conference_with_actions(w)
    # Due in 3 and 7 days: nothing yet.
    assert action_service.sweep_action_reminders(NOW) == 0
    day_before = NOW + timedelta(days=2)
    assert [d.action_id for d in action_service.list_due_actions(day_before)] == [
        crisis_action.id]
    assert action_service.sweep_action_reminders(day_before) == 1
    assert action_service.sweep_action_reminders(day_before) == 0
    overdue = NOW + timedelta(days=4)
    due = action_service.list_due_actions(overdue)
    assert [(d.action_id, d.stage) for d in due] == [(crisis_action.id, "overdue")]
    assert action_service.sweep_action_reminders(overdue) == 1
    assert action_service.sweep_action_reminders(overdue + timedelta(days=1)) == 0
    action_service.complete_action(actor(w["officer"]), action_id=police_action.id)
    assert action_service.sweep_action_reminders(NOW + timedelta(days=10)) == 0
    stages = db.session.execute(select(OutboxEvent.subject_id, OutboxEvent.data).where(
        OutboxEvent.kind == "conference_action.due").order_by(OutboxEvent.id)).all()
    assert [(s.subject_id, s.data["stage"]) for s in stages] == [
        (crisis_action.id, "due_soon"), (crisis_action.id, "overdue")]


def test_cannot_remove_agenda_item_with_actions(conf_world):
    w = conf_world
    _, own_item, crisis_item, _, _ = _conference_with_actions(w)
    with pytest.raises(DomainError):
        service.remove_agenda_item(actor(w["coordinator"]), item_id=crisis_item.id)
    service.remove_agenda_item(actor(w["coordinator"]), item_id=own_item.id)
    assert [i.id for i in service.list_agenda(actor(w["coordinator"]),
                                              crisis_item.conference_id)] == [crisis_item.id]


@pytest.mark.parametrize("categories, readable", [
    (["identity_contact", "risk_assessment"], True),
    (["identity_contact"], False),
])
def test_minutes_follow_the_consent_given_to_the_agency(conf_world, categories, readable):
    from referral.referrals.models import ReferralConsent

    w = conf_world
    conference, _, crisis_item, _, _ = _conference_with_actions(w)
    shared = make_referral(_case_of(crisis_item), w["crisis"], w["police"],
                           status="accepted", accepted_after=timedelta(hours=1),
                           service="police_protection")
    db.session.add(ReferralConsent(referral_id=shared.id, consented=True,
                                   shared_with_agency_id=w["police"].id, categories=categories,
                                   recorded_by_id=w["crisis"].id))
    db.session.commit()
    _, items = service.minutes_for(actor(w["officer"]), conference.id)
    assert {m.item.id: m.readable for m in items}[crisis_item.id] is readable


def _case_of(item):
    from referral.cases.models import Case

    with acting_as(system_actor("test")):
        return db.session.execute(select(Case).where(Case.id == item.case_id)).scalar_one()


def test_a_case_sealed_after_the_conference_disappears_from_agenda_and_work_lists(conf_world):
    from referral.cases.models import Case

    w = conf_world
    conference, _, crisis_item, police_action, _ = _conference_with_actions(w)
    with acting_as(system_actor("test")):
        case = db.session.execute(select(Case).where(
            Case.id == crisis_item.case_id)).scalar_one()
        case.restricted = True
        db.session.commit()
    assert crisis_item.id not in {i.id for i in service.list_agenda(actor(w["coordinator"]),
                                                                     conference.id)}
    assert action_service.list_agency_actions(actor(w["officer"])) == []
    _, items = service.minutes_for(actor(w["officer"]), conference.id)
    assert crisis_item.id not in {m.item.id for m in items}
