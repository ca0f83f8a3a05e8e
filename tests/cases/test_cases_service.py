"""Service rules of cases: references, status, versions, incidents, risk, measures, notes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from referral.access.permissions import Role
from referral.audit.models import AuditEvent
from referral.cases import incidents, measures, notes, offences, risk
from referral.cases import service as cases
from referral.cases.models import Case, CaseNoteRevision
from referral.errors import DomainError, IllegalTransition, StaleEdit
from referral.events.models import OutboxEvent
from referral.extensions import db
from tests.cases import factories as f
from tests.cases.factories import as_system
from tests.closure.factories import signed_off
from tests.fixtures import actor, make_user


@pytest.fixture
def police(world):
    return actor(world["officer"])


def test_reference_is_region_year_and_a_six_digit_sequence(police):
    first, second = f.open_case(police), f.open_case(police)
    other_region = f.open_case(police, "KZ-43")
    year = cases.local_today().year
    assert first.reference == f"KZ-75-{year}-000001"
    assert second.reference == f"KZ-75-{year}-000002"
    assert re.fullmatch(rf"KZ-43-{year}-000001", other_region.reference)


def test_the_same_creation_token_gives_one_case(police):
    data = cases.CaseInput(region_code="KZ-75")
    one = cases.open_case(police, data, creation_token="tok-1")
    two = cases.open_case(police, data, creation_token="tok-1")
    assert one.id == two.id
    with as_system():
        assert db.session.execute(select(Case.id)).scalars().all() == [one.id]


def test_opening_validates_place_and_languages(police, world):
    from tests.fixtures import make_district

    far = make_district("KZ-43")
    with pytest.raises(DomainError) as err:
        f.open_case(police, "KZ-75", district_id=far.id)
    assert err.value.field == "district_id"
    with pytest.raises(DomainError) as err:
        f.open_case(police, "KZ-75", languages=("xx",))
    assert err.value.field == "languages"


def test_opening_is_audited_and_emits_an_event_without_personal_data(police):
    case = f.open_case(police)
    assert db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "case.create", AuditEvent.object_id == str(case.id))).scalar_one()
    event = db.session.execute(select(OutboxEvent).where(OutboxEvent.kind == "case.opened")
                               ).scalar_one()
    assert "Flat" not in str(event.data)


def test_status_closes_with_a_reason_and_reopens(police):
    case = f.open_case(police)
    with pytest.raises(DomainError) as err:
        cases.change_status(police, case.id, status="closed")
    assert err.value.field == "reason"
    signed_off(case.id)
    cases.change_status(police, case.id, status="closed", reason="moved_away")
    assert (case.status, case.closed_reason) == ("closed", "moved_away")
    with pytest.raises(IllegalTransition):
        cases.change_status(police, case.id, status="monitoring")
    cases.change_status(police, case.id, status="open")
    assert (case.status, case.closed_reason) == ("open", None)


def test_a_stale_version_is_refused(police):
    case = f.open_case(police)
    version = case.version
    cases.update_case(police, case.id, cases.CaseInput(region_code="KZ-75", address="New 1"),
                      expected_version=version)
    with pytest.raises(StaleEdit):
        cases.update_case(police, case.id, cases.CaseInput(region_code="KZ-75", address="Mine"),
                          expected_version=version)
    assert cases.get_case_for(police, case.id).address == "New 1"


def test_reading_a_case_is_audited(police):
    case = f.open_case(police)
    cases.get_case_for(police, case.id)
    assert db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "case.view", AuditEvent.object_id == str(case.id))).scalar_one()


# --- incidents ---------------------------------------------------------------------------------


def test_incident_with_battery_109_1(police):
    case, _m = f.family_case(police)
    incident = incidents.record_incident(police, case.id, f.incident_input(
        offence_id=f.offence("109-1").id))
    assert incident.offence.article == "109-1"
    assert incident.gbv_type == "physical_assault"
    assert incident.survivor_person_id is not None and incident.offender_person_id is not None


def test_historic_articles_classify_older_incidents_only(police):
    case, _m = f.family_case(police)
    old = datetime(2024, 5, 1, 12, tzinfo=UTC)
    incidents.record_incident(police, case.id, f.incident_input(
        occurred_at=old, offence_id=f.offence("73-2").id))
    with pytest.raises(DomainError) as err:
        incidents.record_incident(police, case.id, f.incident_input(
            offence_id=f.offence("73-2").id))
    assert err.value.field == "offence_id" and "73-2" in err.value.message
    with pytest.raises(DomainError):
        incidents.record_incident(police, case.id, f.incident_input(
            occurred_at=old, offence_id=f.offence("109-1").id))


def test_female_investigator_request_is_kept_for_sexual_violence_only(police):
    case, _m = f.family_case(police)
    sexual = incidents.record_incident(police, case.id, f.incident_input(
        sexual=True, female_investigator_requested=True))
    physical = incidents.record_incident(police, case.id, f.incident_input(
        female_investigator_requested=True))
    assert sexual.female_investigator_requested is True
    assert physical.female_investigator_requested is None


def test_incident_needs_a_violence_type_and_no_future_date(police):
    case, _m = f.family_case(police)
    with pytest.raises(DomainError) as err:
        incidents.record_incident(police, case.id, f.incident_input(physical=False))
    assert err.value.field == "physical"
    with pytest.raises(DomainError) as err:
        incidents.record_incident(police, case.id, f.incident_input(
            occurred_at=datetime.now(UTC) + timedelta(days=1)))
    assert err.value.field == "occurred_at"


def test_repeat_within_12_months_marks_the_case(police):
    case, _m = f.family_case(police)
    first = incidents.record_incident(police, case.id, f.incident_input(
        occurred_at=datetime.now(UTC) - timedelta(days=200)))
    assert not first.is_repeat and not case.is_repeat
    second = incidents.record_incident(police, case.id, f.incident_input())
    db.session.refresh(case)
    assert second.is_repeat and case.is_repeat


def test_repeat_is_found_across_cases_of_other_agencies(world, police):
    other = actor(world["other"])
    other_case = f.open_case(other, "KZ-43")
    f.add_person(other, other_case, f.OFFENDER, "alleged_offender")
    incidents.record_incident(other, other_case.id, f.incident_input(
        occurred_at=datetime.now(UTC) - timedelta(days=30)))
    # Police A cannot see that case, so it may not register the offender again (one person per
    # IIN): it asks for access, and once granted links the same person into its case.
    from referral.cases import access_requests, people

    case = f.open_case(police)
    report = people.add_participant(police, case.id, f.OFFENDER,
                                    people.ParticipantInput(role="alleged_offender"))
    assert report.same_iin and not report.visible
    [req] = access_requests.request_access(police, from_case_id=case.id,
                                           agency_id=world["other_agency"].id,
                                           person=f.OFFENDER, reason="Same man")
    other_manager = make_user(world["other_agency"], Role.AGENCY_MANAGER)
    access_requests.decide_access_request(actor(other_manager), req.id, grant=True)
    report = people.add_participant(police, case.id, f.OFFENDER,
                                    people.ParticipantInput(role="alleged_offender"))
    people.add_participant(police, case.id, f.OFFENDER,
                           people.ParticipantInput(role="alleged_offender"),
                           existing_person_id=report.visible[0].id)
    repeat = incidents.record_incident(police, case.id, f.incident_input())
    assert repeat.is_repeat
    assert cases.get_case_for(police, case.id).is_repeat


def test_the_same_person_linked_into_a_new_case_carries_the_repeat(police):
    from referral.cases import people

    case, members = f.family_case(police)
    incidents.record_incident(police, case.id, f.incident_input(
        occurred_at=datetime.now(UTC) - timedelta(days=300)))
    new_case = f.open_case(police)
    people.add_participant(police, new_case.id, f.SURVIVOR, people.ParticipantInput(
        role="survivor"), existing_person_id=members["survivor"].person_id)
    assert incidents.record_incident(police, new_case.id, f.incident_input()).is_repeat
    old_only = f.open_case(police)
    people.add_participant(police, old_only.id, f.SURVIVOR, people.ParticipantInput(
        role="survivor"), existing_person_id=members["survivor"].person_id)
    later = incidents.record_incident(police, old_only.id, f.incident_input(
        occurred_at=datetime.now(UTC) - timedelta(days=300 + 400)))
    assert not later.is_repeat


def test_police_callouts_in_12_months_are_counted(police):
    case, _m = f.family_case(police)
    for days, source in ((10, "police_call"), (40, "hotline_102"), (60, "health"),
                         (400, "police_call")):
        incidents.record_incident(police, case.id, f.incident_input(
            occurred_at=datetime.now(UTC) - timedelta(days=days), reported_by=source))
    assert incidents.police_callouts_12m(police, case.id) == 2
    # The case page counts from the incidents it already read: the same answer.
    listed = incidents.list_incidents(police, case.id)
    assert incidents.police_callouts_12m(police, case.id, listed) == 2


def test_offences_can_be_extended(ctx, world):
    from referral.access.scope import acting_as, system_actor

    with acting_as(system_actor("test")):
        offence = offences.add_offence(code="criminal", article="999-9", kind="crime",
                                       title_en="Test offence", valid_from="2026-01-01")
        assert offence in offences.list_offences(date(2026, 2, 1))
        assert offence not in offences.list_offences(date(2025, 12, 31))
        assert offences.load_offences() == 0  # the shipped table is already there


# --- risk --------------------------------------------------------------------------------------


@pytest.mark.parametrize("yes, level", [(0, "standard"), (9, "standard"), (10, "medium"),
                                        (13, "medium"), (14, "high"), (25, "high")])
def test_default_thresholds(police, yes, level):
    case = f.open_case(police)
    assert risk.record_assessment(police, case.id, f.answers(yes)).level == level


@pytest.mark.app_config(RISK_MEDIUM_FROM=5, RISK_HIGH_FROM=8)
def test_thresholds_come_from_the_config(police):
    case = f.open_case(police)
    assessment = risk.record_assessment(police, case.id, f.answers(8))
    assert (assessment.level, assessment.medium_from, assessment.high_from) == ("high", 5, 8)


def test_risk_needs_every_answer(police):
    case = f.open_case(police)
    answers = f.answers(3)
    del answers["strangulation"]
    with pytest.raises(DomainError) as err:
        risk.record_assessment(police, case.id, answers)
    assert err.value.field == "strangulation"
    assert len(risk.FACTOR_CODES) == 29


def test_professional_judgement_only_raises_and_needs_a_reason(police):
    case = f.open_case(police)
    with pytest.raises(DomainError) as err:
        risk.record_assessment(police, case.id, f.answers(11), override_level="standard",
                               override_reason="x")
    assert err.value.field == "override_level"
    with pytest.raises(DomainError) as err:
        risk.record_assessment(police, case.id, f.answers(2), override_level="high")
    assert err.value.field == "override_reason"
    raised = risk.record_assessment(police, case.id, f.answers(2), override_level="high",
                                    override_reason="Non-fatal strangulation last week")
    assert (raised.computed_level, raised.level) == ("standard", "high")


def test_high_level_flags_the_case_and_history_shows_the_trend(police):
    case = f.open_case(police)
    risk.record_assessment(police, case.id, f.answers(5))
    assert case.risk_level == "standard" and case.high_risk_flagged_at is None
    risk.record_assessment(police, case.id, f.answers(15))
    assert case.risk_level == "high" and case.high_risk_flagged_at is not None
    assert db.session.execute(select(OutboxEvent).where(OutboxEvent.kind == "case.high_risk")
                              ).scalar_one().subject_id == case.id
    history = risk.list_assessments(police, case.id)
    assert [a.level for a in history] == ["high", "standard"]
    assert risk.trend(history) == "rising"
    risk.record_assessment(police, case.id, f.answers(11))
    assert risk.trend(risk.list_assessments(police, case.id)) == "falling"
    assert case.risk_level == "medium" and case.high_risk_flagged_at is None


# --- protective measures -----------------------------------------------------------------------


def test_protective_order_runs_30_days_by_default(police):
    case, members = f.family_case(police)
    start = date(2026, 3, 1)
    order = measures.issue_measure(police, case.id, measures.MeasureInput(
        measure_type="protective_order", starts_on=start,
        against_participant_id=members["offender"].id))
    assert order.ends_on == date(2026, 3, 30)
    assert "214-IV" in order.legal_basis
    assert order.in_force_on(date(2026, 3, 30)) and not order.in_force_on(date(2026, 3, 31))
    with pytest.raises(DomainError) as err:
        measures.issue_measure(police, case.id, measures.MeasureInput(
            measure_type="protective_order", starts_on=start, ends_on=date(2026, 5, 1)))
    assert err.value.field == "ends_on"


def test_court_requirements_need_a_court_set_end_of_3_to_12_months(police):
    case, _m = f.family_case(police)
    start = date(2026, 1, 10)
    with pytest.raises(DomainError) as err:
        measures.issue_measure(police, case.id, measures.MeasureInput(
            measure_type="special_requirements", starts_on=start))
    assert err.value.field == "ends_on"
    for bad_end in (date(2026, 2, 10), date(2027, 3, 1)):
        with pytest.raises(DomainError):
            measures.issue_measure(police, case.id, measures.MeasureInput(
                measure_type="special_requirements", starts_on=start, ends_on=bad_end))
    ok = measures.issue_measure(police, case.id, measures.MeasureInput(
        measure_type="special_requirements", starts_on=start, ends_on=date(2026, 7, 10),
        issuing_body="Almaly district court"))
    assert ok.issuing_agency_id is None and ok.issuing_body == "Almaly district court"


def test_breaches_are_recorded_and_measures_end_early(police):
    case, _m = f.family_case(police)
    order = measures.issue_measure(police, case.id, measures.MeasureInput(
        measure_type="protective_order", starts_on=cases.local_today()))
    measures.record_breach(police, order.id, occurred_at=datetime.now(UTC),
                           description="Came to the flat")
    assert len(order.breaches) == 1
    measures.revoke_measure(police, order.id, reason="Court replaced it")
    assert measures.in_force([order], cases.local_today()) == []


# --- notes and timeline ------------------------------------------------------------------------


def test_note_edit_keeps_the_earlier_text(police, world):
    case = f.open_case(police)
    note = notes.add_note(police, case.id, "First text")
    notes.edit_note(police, note.id, "Corrected text", expected_version=note.version)
    assert note.body == "Corrected text"
    with as_system():
        revisions = db.session.execute(select(CaseNoteRevision)).scalars().all()
    assert [r.body for r in revisions] == ["First text"]
    with pytest.raises(StaleEdit):
        notes.edit_note(police, note.id, "Late", expected_version=1)
    colleague = actor(world["manager"])
    with pytest.raises(DomainError):
        notes.edit_note(colleague, note.id, "Not mine", expected_version=note.version)


def test_timeline_lists_everything_newest_first(police):
    case, members = f.family_case(police)
    incidents.record_incident(police, case.id, f.incident_input())
    risk.record_assessment(police, case.id, f.answers(15))
    measures.issue_measure(police, case.id, measures.MeasureInput(
        measure_type="protective_order", starts_on=cases.local_today()))
    notes.add_note(police, case.id, "note")
    kinds = [e.kind for e in cases.list_timeline(police, case)]
    assert kinds[0] == "note.added" and kinds[-1] == "case.opened"
    for kind in ("participant.added", "incident.recorded", "risk.assessed", "case.high_risk",
                 "measure.issued"):
        assert kind in kinds
