"""Demo: the Almaty school's safeguarding lead is its designated contact, and the first demo
case's children attend that school. Idempotent; quiet when the school or a case is missing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.accounts.service import actor_for
from referral.cases.models import Case, CaseParticipant, Incident
from referral.extensions import db
from referral.schools.models import ChildSchool, SchoolContact, SchoolNotice
from referral.schools.service import notify_schools


def seed(agencies: dict[str, Any], users: dict[str, Any]) -> None:
    school, lead = agencies.get("almaty_school"), users.get("school")
    if school is None or lead is None:
        return
    with acting_as(system_actor("seed-demo schools")):
        if db.session.get(SchoolContact, school.id) is None:
            db.session.add(SchoolContact(agency_id=school.id, user_id=lead.id,
                                         chosen_by_id=lead.id))
        children = db.session.execute(
            select(CaseParticipant).join(Case, Case.id == CaseParticipant.case_id).where(
                Case.region_code == "KZ-75", Case.restricted.is_(False),
                CaseParticipant.role == "child").order_by(CaseParticipant.id).limit(2)).scalars()
        for child in children:
            if db.session.execute(select(ChildSchool.id).where(
                    ChildSchool.participant_id == child.id)).first() is None:
                db.session.add(ChildSchool(case_id=child.case_id, participant_id=child.id,
                                           school_agency_id=school.id,
                                           linked_by_id=child.added_by_id or lead.id))
        db.session.flush()
        _notice_of_latest_incident(school, users.get("police"))


def _notice_of_latest_incident(school: Any, officer: Any) -> None:
    """The school's first notice, as the incident hook makes it: for the latest incident of the
    first linked child's case, recorded by the demo police officer."""
    if officer is None or db.session.execute(select(SchoolNotice.id).where(
            SchoolNotice.school_agency_id == school.id)).first() is not None:
        return
    case_id = db.session.execute(select(ChildSchool.case_id).where(
        ChildSchool.school_agency_id == school.id).order_by(ChildSchool.id)).scalars().first()
    incident = db.session.execute(select(Incident).where(Incident.case_id == case_id).order_by(
        Incident.occurred_at.desc())).scalars().first() if case_id else None
    if incident is not None:
        case = db.session.execute(select(Case).where(Case.id == case_id)).scalar_one()
        notify_schools(actor_for(officer), case, incident)
