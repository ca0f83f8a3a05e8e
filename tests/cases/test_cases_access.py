"""Who sees what: scope, restricted cases, categories, duplicates and access requests, and a
role × action matrix. Runs on SQLite and (with TEST_DATABASE_URL) on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from referral.access.scope import acting_as
from referral.cases import access_requests, incidents, measures, notes, people, risk
from referral.cases import service as cases
from referral.cases.models import Case, CaseParticipant, Person
from referral.cases.scope import DATA_CATEGORIES, visible_categories
from referral.errors import DomainError, NotVisible
from referral.extensions import db
from referral.home.panels import panels_for
from tests.cases import factories as f
from tests.fixtures import actor, make_user


@pytest.fixture
def police(world):
    return actor(world["officer"])


# --- the visibility rule -----------------------------------------------------------------------


def test_a_case_read_earlier_in_the_transaction_is_checked_again_after_a_write(world, police):
    """load_case remembers a checked case within a transaction, but never across a change:
    a coordinator who read the case before it was restricted does not keep reading it."""
    case, _m = f.family_case(police)
    coordinator = actor(world["coordinator"])
    assert cases.load_case(coordinator, case.id) is cases.load_case(coordinator, case.id)
    case.restricted = True
    db.session.flush()
    with pytest.raises(NotVisible):
        cases.load_case(coordinator, case.id)


def test_owner_and_region_coordinator_see_others_do_not(world, police):
    case, _m = f.family_case(police)
    assert cases.get_case_for(actor(world["manager"]), case.id)
    assert cases.get_case_for(actor(world["coordinator"]), case.id)
    for outsider in ("crisis", "other", "admin"):
        with pytest.raises(NotVisible):
            cases.get_case_for(actor(world[outsider]), case.id)
        with pytest.raises(NotVisible):
            cases.get_participant(actor(world[outsider]), _m["survivor"].id)
    coord_elsewhere = make_user(world["other_agency"], "coordinator", regions=("KZ-43",))
    with pytest.raises(NotVisible):
        cases.get_case_for(actor(coord_elsewhere), case.id)


def test_child_records_follow_their_case(world, police):
    case, _m = f.family_case(police)
    incidents.record_incident(police, case.id, f.incident_input())
    notes.add_note(police, case.id, "secret")
    other = actor(world["other"])
    with acting_as(other):
        from referral.extensions import db

        for model in (Case, CaseParticipant, Person, incidents.Incident):
            assert db.session.execute(select(func.count()).select_from(model)).scalar_one() == 0
    assert incidents.list_incidents(other, case.id) == []


def test_administrators_see_no_case_content(world, police):
    f.family_case(police)
    admin = actor(world["admin"])
    assert cases.list_cases_for(admin, cases.CaseFilters()).total == 0
    assert people.search_cases(admin, "Testova") == []


# --- restricted cases --------------------------------------------------------------------------


def test_restricted_case_is_absent_for_everyone_not_named(world, police):
    case, _m = f.family_case(police)
    risk.record_assessment(police, case.id, f.answers(15))
    cases.set_restriction(police, case.id, restricted=True, member_ids=[])
    colleague, coordinator = actor(world["manager"]), actor(world["coordinator"])
    for outsider in (colleague, coordinator):
        with pytest.raises(NotVisible):
            cases.get_case_for(outsider, case.id)
        assert cases.list_cases_for(outsider, cases.CaseFilters()).total == 0
        assert people.search_cases(outsider, case.reference) == []
        assert people.search_cases(outsider, "Testova Aigul") == []
        assert people.search_cases(outsider, "850722499909") == []
        with acting_as(outsider):
            shown = panels_for(outsider)
        for _panel, ctx in shown:
            assert case not in ctx.get("cases", [])
            assert ctx.get("total", 0) == 0
    # the officer who restricted it is named and still sees it
    assert cases.get_case_for(police, case.id)
    assert people.search_cases(police, "850722499909")


def test_named_users_see_a_restricted_case(world, police):
    case = f.open_case(police)
    cases.set_restriction(police, case.id, restricted=True,
                          member_ids=[world["coordinator"].id])
    assert cases.get_case_for(actor(world["coordinator"]), case.id)
    with pytest.raises(NotVisible):
        cases.get_case_for(actor(world["manager"]), case.id)
    cases.set_restriction(police, case.id, restricted=False, member_ids=[])
    assert cases.get_case_for(actor(world["manager"]), case.id)


def test_restricted_case_matches_are_not_even_hinted(world, police):
    case, _m = f.family_case(police)
    cases.set_restriction(police, case.id, restricted=True, member_ids=[])
    other = actor(world["other"])
    other_case = f.open_case(other, "KZ-43")
    report = people.find_duplicates(other, f.SURVIVOR, case_id=other_case.id)
    assert not report


# --- duplicates --------------------------------------------------------------------------------


def test_exact_iin_match_in_a_visible_case_is_shown(police):
    case, members = f.family_case(police)
    new_case = f.open_case(police)
    result = people.add_participant(police, new_case.id, f.SURVIVOR,
                                    people.ParticipantInput(role="survivor"))
    assert isinstance(result, people.DuplicateReport)
    assert [p.id for p in result.visible] == [members["survivor"].person_id]
    assert result.hidden_agencies == []


def test_close_name_and_same_birth_date_match_across_alphabets(police):
    case, members = f.family_case(police)
    new_case = f.open_case(police)
    cyrillic = people.PersonInput(surname="Тестова", given_name="Айгүл", sex="female",
                                  birth_date=date(1985, 7, 22))
    report = people.find_duplicates(police, cyrillic, case_id=new_case.id)
    assert [p.id for p in report.visible] == [members["survivor"].person_id]
    other_day = people.PersonInput(surname="Testova", given_name="Aigul",
                                   birth_date=date(1985, 7, 23))
    assert not people.find_duplicates(police, other_day, case_id=new_case.id)


def test_children_and_witnesses_are_not_checked(police):
    """Not for a near match (name and date of birth); an IIN match is refused for every role
    (tests/cases/test_person_iin_unique.py)."""
    f.family_case(police)
    new_case = f.open_case(police)
    result = people.add_participant(police, new_case.id, replace(f.SURVIVOR, iin=""),
                                    people.ParticipantInput(role="witness"))
    assert isinstance(result, CaseParticipant)


def test_a_match_in_an_invisible_case_names_only_the_agency(world, police):
    case, _m = f.family_case(police)
    other = actor(world["other"])
    other_case = f.open_case(other, "KZ-43")
    result = people.add_participant(other, other_case.id, f.OFFENDER,
                                    people.ParticipantInput(role="alleged_offender"))
    assert isinstance(result, people.DuplicateReport)
    assert result.visible == []
    assert [a.name for a in result.hidden_agencies] == ["Police A"]
    # the check itself is audited without the person's details
    from referral.audit.models import AuditEvent
    from referral.extensions import db

    row = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "person.duplicate_check")).scalars().all()[-1]
    assert "900115399904" not in str(row.details) and "Testov" not in str(row.details)


def test_an_access_request_granted_shares_the_chosen_categories(world, police):
    case, _m = f.family_case(police)
    incidents.record_incident(police, case.id, f.incident_input())
    other = actor(world["other"])
    other_case = f.open_case(other, "KZ-43")
    with pytest.raises(DomainError):
        access_requests.request_access(other, from_case_id=other_case.id,
                                       agency_id=world["police"].id, person=f.OFFENDER,
                                       reason=" ")
    [req] = access_requests.request_access(
        other, from_case_id=other_case.id, agency_id=world["police"].id, person=f.OFFENDER,
        reason="Same man in our domestic violence case")
    # the requester cannot see the case yet, and has no way to find its reference
    with pytest.raises(NotVisible):
        cases.get_case_for(other, case.id)
    # an officer of the owner agency may not decide; the manager may
    with pytest.raises(NotVisible):
        access_requests.decide_access_request(police, req.id, grant=True)
    manager = actor(world["manager"])
    incoming, _out = access_requests.list_access_requests(manager)
    assert [r.id for r in incoming] == [req.id]
    access_requests.decide_access_request(manager, req.id, grant=True,
                                          categories=("incident_details",))
    seen = cases.get_case_for(other, case.id)
    assert visible_categories(other, seen) == frozenset({"incident_details"})
    assert len(incidents.list_incidents(other, case.id)) == 1
    assert people.safe_contacts_for_case(other, case.id) == []
    assert cases.list_participants(other, case.id)  # ids for referrals; the page hides names
    with pytest.raises(NotVisible):  # only the owner changes the case itself
        cases.update_case(other, case.id, cases.CaseInput(region_code="KZ-75"),
                          expected_version=seen.version)
    with pytest.raises(DomainError):  # answered once
        access_requests.decide_access_request(manager, req.id, grant=False)


def test_a_refused_request_shares_nothing(world, police):
    case, _m = f.family_case(police)
    other = actor(world["other"])
    other_case = f.open_case(other, "KZ-43")
    [req] = access_requests.request_access(
        other, from_case_id=other_case.id, agency_id=world["police"].id, person=f.OFFENDER,
        reason="Same man")
    access_requests.decide_access_request(actor(world["manager"]), req.id, grant=False)
    with pytest.raises(NotVisible):
        cases.get_case_for(other, case.id)


# --- role × action matrix ----------------------------------------------------------------------

ACTIONS = {
    "read": lambda a, c, m: cases.get_case_for(a, c.id),
    "edit": lambda a, c, m: cases.update_case(a, c.id, cases.CaseInput(region_code="KZ-75"),
                                              expected_version=c.version),
    "add_person": lambda a, c, m: people.add_participant(
        a, c.id, people.PersonInput(surname="X", given_name="Y"),
        people.ParticipantInput(role="witness")),
    "incident": lambda a, c, m: incidents.record_incident(a, c.id, f.incident_input()),
    "risk": lambda a, c, m: risk.record_assessment(a, c.id, f.answers(3)),
    "measure": lambda a, c, m: measures.issue_measure(a, c.id, measures.MeasureInput(
        measure_type="protective_order", starts_on=cases.local_today())),
    "note": lambda a, c, m: notes.add_note(a, c.id, "n"),
    "restrict": lambda a, c, m: cases.set_restriction(a, c.id, restricted=False, member_ids=[]),
    "status": lambda a, c, m: cases.change_status(a, c.id, status="monitoring"),
}
# who may do what on a case owned by Police A (KZ-75)
ALLOWED = {
    "officer": set(ACTIONS),
    "manager": set(ACTIONS),
    "coordinator": {"read"},
    "crisis": set(),   # another agency of the same region, no sharing
    "other": set(),    # another region
    "admin": set(),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_role_action_matrix(world, police, role, action):
    case, members = f.family_case(police)
    who = actor(world[role])
    if action in ALLOWED[role]:
        ACTIONS[action](who, case, members)
    else:
        with pytest.raises(NotVisible):
            ACTIONS[action](who, case, members)


def test_shared_agencies_contribute_only_within_their_categories(world, police):
    case, _m = f.family_case(police)
    other = actor(world["other"])
    other_case = f.open_case(other, "KZ-43")
    [req] = access_requests.request_access(
        other, from_case_id=other_case.id, agency_id=world["police"].id, person=f.OFFENDER,
        reason="r")
    access_requests.decide_access_request(actor(world["manager"]), req.id, grant=True,
                                          categories=("risk_assessment",))
    risk.record_assessment(other, case.id, f.answers(2))
    notes.add_note(other, case.id, "our note")
    with pytest.raises(NotVisible):
        incidents.record_incident(other, case.id, f.incident_input())
    # the sharing agency's note is visible to it, the owner's notes are not
    notes.add_note(police, case.id, "owner note")
    seen = cases.get_case_for(other, case.id)
    assert [n.body for n in notes.list_notes(other, seen)] == ["our note"]
    assert set(DATA_CATEGORIES) > visible_categories(other, seen)


def test_the_case_rule_and_the_id_list_agree_for_every_reader(world, police):
    """case_visible (applied to every Case query) and visible_case_ids (used for duplicate
    checks) are written differently for speed; both must give the same cases."""
    from referral.cases.scope import visible_case_ids
    from referral.referrals import service as referrals
    from tests.referrals.factories import send

    crisis = actor(world["crisis"])
    open_case = f.open_case(police)
    sealed = f.open_case(police)
    shared = f.open_case(police)
    shared_sealed = f.open_case(police)
    for case in (shared, shared_sealed):
        referral = send(world["officer"], case, world["crisis_agency"])
        referrals.accept_referral(crisis, referral_id=referral.id)
    cases.set_restriction(police, sealed.id, restricted=True, member_ids=[])
    cases.set_restriction(police, shared_sealed.id, restricted=True,
                          member_ids=[world["manager"].id])
    f.open_case(actor(world["other"]), "KZ-43")
    expected = {
        "officer": {open_case.id, sealed.id, shared.id, shared_sealed.id},
        "manager": {open_case.id, shared.id, shared_sealed.id},
        "crisis": {shared.id},
        "coordinator": {open_case.id, shared.id},
        "other": set(),
    }
    mine = {open_case.id, sealed.id, shared.id, shared_sealed.id}
    for name, ids in expected.items():
        reader = actor(world[name])
        with acting_as(reader):
            by_rule = set(db.session.execute(select(Case.id)).scalars())
            by_list = set(db.session.execute(visible_case_ids(reader)).scalars())
        assert by_rule & mine == ids, name
        assert by_rule == by_list, name
