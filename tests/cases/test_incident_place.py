"""Incidents carry their case's region and district (referrals their district too), the copies
follow the case, and a coordinator sees exactly the incidents of the cases they see."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.cases import incidents
from referral.cases import service as cases_service
from referral.cases.models import Case, Incident
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals.models import Referral
from tests.coordination.factories import make_case, make_incident
from tests.fixtures import actor, fresh, make_district, make_user
from tests.referrals.factories import make_case as make_plain_case
from tests.referrals.factories import send

WHEN = utcnow().replace(hour=8, minute=0, second=0, microsecond=0) - timedelta(days=10)


def _places(model: type, case_id: int) -> set[tuple[str, int | None]]:
    table = model.__table__  # type: ignore[attr-defined]
    with acting_as(system_actor("test")):
        return set(db.session.execute(select(table.c.region_code, table.c.district_id)
                                      .where(table.c.case_id == case_id)).all())


def test_recorded_incidents_and_sent_referrals_take_the_case_place(world):
    officer = world["officer"]
    centre = make_district("KZ-75", "Centre")
    case = cases_service.open_case(actor(officer), cases_service.CaseInput(
        region_code="KZ-75", district_id=centre.id),
        creation_token=cases_service.new_creation_token())
    incident = incidents.record_incident(actor(officer), case.id, incidents.IncidentInput(
        occurred_at=WHEN, reported_by="police_call", physical=True))
    referral = send(officer, case, world["crisis_agency"])
    db.session.commit()
    assert (incident.region_code, incident.district_id) == ("KZ-75", centre.id)
    assert (referral.region_code, referral.district_id) == ("KZ-75", centre.id)


def test_moving_a_case_moves_its_incidents_and_referrals(world):
    officer = world["officer"]
    north = make_district("KZ-43", "North")
    case = cases_service.open_case(actor(officer), cases_service.CaseInput(region_code="KZ-75"),
                                   creation_token=cases_service.new_creation_token())
    for hour in range(2):
        incidents.record_incident(actor(officer), case.id, incidents.IncidentInput(
            occurred_at=WHEN.replace(hour=hour), reported_by="police_call", physical=True))
    send(officer, case, world["crisis_agency"])
    other = make_plain_case(world["police"], officer)
    make_incident(other, officer, occurred_at=WHEN)
    db.session.commit()

    cases_service.update_case(actor(officer), case.id, cases_service.CaseInput(
        region_code="KZ-43", district_id=north.id), expected_version=case.version)
    db.session.commit()
    fresh()
    assert _places(Incident, case.id) == {("KZ-43", north.id)}
    assert _places(Referral, case.id) == {("KZ-43", north.id)}
    assert _places(Incident, other.id) == {("KZ-75", None)}  # other cases stay

    with acting_as(actor(officer)):
        version = db.session.execute(select(Case.version).where(Case.id == case.id)).scalar_one()
    cases_service.update_case(actor(officer), case.id, cases_service.CaseInput(
        region_code="KZ-43"), expected_version=version)  # the district alone
    db.session.commit()
    fresh()
    assert _places(Incident, case.id) == {("KZ-43", None)}
    assert _places(Referral, case.id) == {("KZ-43", None)}


def test_coordinators_see_exactly_the_incidents_of_the_cases_they_see(world):
    officer, police = world["officer"], world["police"]
    coordinator = world["coordinator"]  # KZ-75
    north = make_user(world["akimat"], Role.COORDINATOR, regions=("KZ-43",))
    both = make_user(world["akimat"], Role.COORDINATOR, regions=("KZ-43", "KZ-75"))
    cases = [
        make_case(police, officer),  # open, KZ-75
        make_case(police, officer, restricted=True),  # sealed, nobody named
        make_case(police, officer, restricted=True, members=(coordinator,)),  # sealed, named
        make_case(world["other_agency"], world["other"]),  # open, KZ-43
        make_case(world["other_agency"], world["other"], restricted=True,
                  members=(coordinator,)),  # sealed in KZ-43, named: seen by name alone
        make_case(world["other_agency"], world["other"], restricted=True,
                  members=(north,)),
    ]
    for case in cases:
        make_incident(case, officer, occurred_at=WHEN)
    db.session.commit()
    for user in (coordinator, north, both):
        with acting_as(actor(user)):
            seen_cases = set(db.session.execute(select(Case.id)).scalars())
            seen = set(db.session.execute(select(Incident.case_id)).scalars())
        assert seen == seen_cases & {c.id for c in cases}, user.email
    with acting_as(actor(coordinator)):
        assert set(db.session.execute(select(Incident.case_id)).scalars()) == {
            cases[0].id, cases[2].id, cases[4].id}
