"""People, incidents and risk assessments of a case through the API: the same service functions
as the pages (the duplicate check, the case hooks, the computed level), the same visibility.
Runs on SQLite and (with TEST_DATABASE_URL) on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from referral.audit.models import AuditEvent
from referral.cases.models import Case
from referral.extensions import db
from referral.safety.models import ReassessmentSchedule
from tests.api.helpers import Api, token_for
from tests.cases import factories as f
from tests.fixtures import actor, fresh, recorded_statements


@pytest.fixture
def family(world):
    case, members = f.family_case(actor(world["officer"]))
    db.session.commit()
    return case, members


@pytest.fixture
def officer(world, client):
    return Api(client, token_for(world["officer"]))


def _answers(yes: int, **given: str) -> dict:
    return {code: {"answer": a.value} for code, a in f.answers(yes, **given).items()}


def _work(statements: list[str]) -> list[str]:
    """The call's own statements: not the token's look-up and its occasional use stamp."""
    return [s for s in statements if not s.startswith("BEGIN") and "api_tokens" not in s
            and "FROM users" not in s]


def _actions(*names: str) -> list[str]:
    fresh()
    return list(db.session.execute(select(AuditEvent.action).where(
        AuditEvent.action.in_(names)).order_by(AuditEvent.id)).scalars())


def test_people_listed_read_added_and_corrected_with_if_match(officer, family):
    case, members = family
    listed = officer.get(f"/cases/{case.id}/people")
    assert listed.status_code == 200, listed.json
    roles = [p["role"] for p in listed.json["items"]]
    assert roles[0] == "survivor" and set(roles) == {"survivor", "alleged_offender", "child"}
    survivor = listed.json["items"][0]
    assert survivor["iin"] == f.SURVIVOR.iin and survivor["role_label"] == "Survivor (victim)"

    one = officer.get(f"/people/{members['offender'].id}")
    assert one.status_code == 200 and one.json["full_name"].startswith("Testov")
    etag = one.headers["ETag"]
    path = f"/people/{members['offender'].id}"
    assert officer.patch(path, json={"phone": "+7 701 000 0000"}).status_code == 428
    changed = officer.patch(path, json={"phone": "+7 701 000 0000"}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.json
    assert changed.json["phone"] == "+7 701 000 0000"
    assert changed.json["iin"] == f.OFFENDER.iin  # fields left out keep their value
    assert officer.patch(path, json={"phone": "1"}, headers={"If-Match": etag}).status_code == 412

    added = officer.post(f"/cases/{case.id}/people", json={
        "surname": "Witnessova", "given_name": "Aru", "role": "witness"})
    assert added.status_code == 201, added.json
    assert added.headers["Location"].endswith(f"/api/v1/people/{added.json['id']}")
    assert _actions("participant.add", "participant.update") == [
        "participant.add", "participant.add", "participant.add", "participant.update",
        "participant.add"]


def test_a_possible_duplicate_is_a_409_listing_what_the_caller_may_see(world, officer, family):
    case, _members = family
    other_case = f.open_case(actor(world["officer"]))
    db.session.commit()
    again = {"surname": "Testova", "given_name": "Aigul", "sex": "female",
             "birth_date": "1985-07-22", "role": "survivor"}
    answer = officer.post(f"/cases/{other_case.id}/people", json=again)
    assert answer.status_code == 409, answer.json
    assert answer.json["same_iin"] is False
    [match] = answer.json["matches"]
    chosen = officer.post(f"/cases/{other_case.id}/people",
                          json={**again, "existing_person_id": match["person_id"]})
    assert chosen.status_code == 201 and chosen.json["person_id"] == match["person_id"]
    same = officer.post(f"/cases/{case.id}/people", json={**again, "iin": f.SURVIVOR.iin,
                                                          "confirmed_new": True})
    assert same.status_code == 422 and same.json["field"] == "iin"  # already in this case
    bad = officer.post(f"/cases/{case.id}/people", json={**again, "iin": "123"})
    assert bad.status_code == 422 and bad.json["field"] == "iin"


def test_an_incident_is_recorded_by_the_service_and_the_hooks_run(officer, family):
    case, members = family
    when = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    made = officer.post(f"/cases/{case.id}/incidents", json={
        "occurred_at": when, "reported_by": "police_call", "physical": True,
        "children_present": True, "survivor_participant_id": members["survivor"].id})
    assert made.status_code == 201, made.json
    assert made.json["gbv_type"] == "physical_assault"
    assert made.json["contexts"] == ["intimate_partner"]  # derived from the relationship
    listed = officer.get(f"/cases/{case.id}/incidents")
    assert [i["id"] for i in listed.json["items"]] == [made.json["id"]]
    fresh()
    with f.as_system():
        due = db.session.execute(select(ReassessmentSchedule).where(
            ReassessmentSchedule.case_id == case.id)).scalar_one()
    assert due.basis == "incident"
    refused = officer.post(f"/cases/{case.id}/incidents", json={
        "occurred_at": when, "reported_by": "police_call"})
    assert refused.status_code == 422 and refused.json["field"] == "physical"
    naive = officer.post(f"/cases/{case.id}/incidents", json={
        "occurred_at": "2026-01-01T10:00:00", "reported_by": "police_call", "physical": True})
    assert naive.status_code == 422


def test_an_assessment_level_is_computed_never_sent(officer, family):
    case, _members = family
    instrument = officer.get("/risk-instrument").json
    assert {q["code"] for q in instrument["questions"]} == set(_answers(0))
    sent = officer.post(f"/cases/{case.id}/assessments",
                        json={"answers": _answers(2), "level": "standard"})
    assert sent.status_code == 422  # no level field
    high = _answers(0, weapon_used="yes") if "weapon_used" in _answers(0) else _answers(20)
    made = officer.post(f"/cases/{case.id}/assessments", json={"answers": high})
    assert made.status_code == 201, made.json
    assert made.json["level"] == "high" and made.json["reasons"]
    assert made.headers["Location"].endswith(f"/api/v1/assessments/{made.json['id']}")
    one = officer.get(f"/assessments/{made.json['id']}")
    assert one.status_code == 200 and len(one.json["answers"]) == len(instrument["questions"])
    listed = officer.get(f"/cases/{case.id}/assessments").json["items"]
    assert [a["id"] for a in listed] == [made.json["id"]]
    fresh()
    with f.as_system():
        flagged = db.session.get(Case, case.id)
        assert flagged.risk_level == "high" and flagged.high_risk_flagged_at is not None
    missing = _answers(0)
    missing.pop(next(iter(missing)))
    partial = officer.post(f"/cases/{case.id}/assessments", json={"answers": missing})
    assert partial.status_code == 422 and partial.json["field"]


def test_a_receiving_agency_reads_only_the_categories_consented(world, client, family):
    from referral.referrals.models import ReferralConsent
    from tests.coordination import factories as co

    case, members = family
    with f.as_system():
        referral = co.make_referral(case, world["officer"], world["crisis_agency"],
                                     status="accepted", accepted_after=timedelta(hours=1))
        db.session.add(ReferralConsent(
            referral_id=referral.id, consented=True, categories=["risk_assessment"],
            shared_with_agency_id=world["crisis_agency"].id, recorded_by_id=world["officer"].id))
        db.session.commit()
    crisis = Api(client, token_for(world["crisis"]))
    read = crisis.get(f"/cases/{case.id}")
    assert read.status_code == 200, read.json
    assert read.json["categories"] == ["risk_assessment"]
    assert read.json["address"] is None and read.json["languages"] is None
    assert crisis.get(f"/cases/{case.id}/assessments").status_code == 200
    for path in (f"/cases/{case.id}/people", f"/people/{members['survivor'].id}",
                 f"/cases/{case.id}/incidents"):
        assert crisis.get(path).status_code == 404, path
    found = crisis.post("/cases/search", json={"iin": f.SURVIVOR.iin})
    assert found.status_code == 200 and found.json["items"] == []


def test_queries_do_not_grow_with_the_records(world, officer, family):
    case, _members = family
    police = actor(world["officer"])
    from referral.cases import incidents

    incidents.record_incident(police, case.id, f.incident_input())
    db.session.commit()
    paths = (f"/cases/{case.id}/people", f"/cases/{case.id}/incidents",
             f"/cases/{case.id}/assessments")
    assert officer.get("/me").status_code == 200  # the token's first use is stamped once
    few = {}
    for path in paths:
        with recorded_statements() as statements:
            assert officer.get(path).status_code == 200
        few[path] = len(_work(statements))
    fresh()
    for _ in range(3):
        incidents.record_incident(police, case.id, f.incident_input())
        f.add_person(police, case, f.people.PersonInput(surname="More", given_name="One"),
                     "witness")
    from referral.cases import risk

    risk.record_assessment(police, case.id, f.answers(1))
    risk.record_assessment(police, case.id, f.answers(2))
    db.session.commit()
    for path in paths:
        with recorded_statements() as statements:
            assert officer.get(path).status_code == 200
        assert len(_work(statements)) == few[path], path
