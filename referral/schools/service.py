"""School notices: who answers for a school, which school a child attends, the notice made when
an incident is recorded, and its answer ("received").

The notice is a copy of what the school needs (the child's name and date of birth, the police
reference, the incident's date, whether the child was present, a contact), sent without the
survivor's consent on the legal ground the calendar file names, since the law protects the child.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from referral.access.acting import scoped
from referral.access.permissions import Role
from referral.access.scope import Actor, acting_as, system_actor
from referral.accounts.models import User
from referral.agencies.models import Agency, AgencyType
from referral.audit import service as audit
from referral.cases import hooks
from referral.cases import service as cases
from referral.cases.models import Case, CaseParticipant, Incident, ParticipantRole
from referral.errors import DomainError, NotVisible
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow
from referral.schools.calendar import school_calendar
from referral.schools.models import ChildSchool, NoticeStatus, SchoolContact, SchoolNotice

# --- the school's safeguarding contact -----------------------------------------------------------


def _school_of(actor: Actor) -> Agency:
    agency = db.session.get(Agency, actor.agency_id) if actor.agency_id else None
    if agency is None or agency.type != AgencyType.EDUCATION:
        raise NotVisible("school", actor.agency_id)
    return agency


def contact_candidates(actor: Actor) -> list[User]:
    """The school's active staff, of whom its manager names the safeguarding contact."""
    school = _school_of(actor)
    return list(db.session.execute(
        select(User).where(User.agency_id == school.id, User.is_active_account.is_(True),
                           User.role.in_((Role.OFFICER.value, Role.AGENCY_MANAGER.value)))
        .order_by(User.full_name)).scalars())


def contact_of(agency_id: int) -> SchoolContact | None:
    return db.session.execute(select(SchoolContact).where(SchoolContact.agency_id == agency_id)
                              ).scalar_one_or_none()


@scoped
def set_contact(actor: Actor, *, user_id: int) -> SchoolContact:
    """The school's manager names its designated safeguarding contact (one per school)."""
    school = _school_of(actor)
    if actor.role != Role.AGENCY_MANAGER:
        raise NotVisible("school", school.id)
    if user_id not in {u.id for u in contact_candidates(actor)}:
        raise DomainError(_("Choose a member of your school's staff."), field="user_id")
    row = contact_of(school.id)
    if row is None:
        row = SchoolContact(agency_id=school.id, user_id=user_id, chosen_by_id=actor.user_id)
        db.session.add(row)
    else:
        row.user_id, row.chosen_by_id, row.chosen_at = user_id, actor.user_id, utcnow()
    db.session.flush()
    audit.record("school.contact_set", object_type="agency", object_id=school.id,
                 details={"user_id": user_id})
    return row


# --- children linked to their school ----------------------------------------------------------


def schools_of_region(region_code: str) -> list[Agency]:
    return list(db.session.execute(
        select(Agency).where(Agency.type == AgencyType.EDUCATION, Agency.is_active.is_(True),
                             Agency.region_code == region_code).order_by(Agency.name)).scalars())


@dataclass
class ChildRow:
    participant: CaseParticipant
    school: Agency | None


@scoped
def children_of(actor: Actor, case_id: int) -> tuple[Case, list[ChildRow]]:
    """The case's children with their school, for the lead agency's staff (audited)."""
    case = cases.writable_case(actor, case_id, "children")
    children = cases.list_participants(actor, case.id, roles=(ParticipantRole.CHILD.value,))
    links = {row.participant_id: row.school for row in db.session.execute(
        select(ChildSchool).where(ChildSchool.case_id == case.id)).scalars()}
    audit.record("school.children_view", object_type="case", object_id=case.id)
    return case, [ChildRow(p, links.get(p.id)) for p in children]


@scoped
def link_child(actor: Actor, case_id: int, *, participant_id: int,
               school_agency_id: int | None) -> ChildSchool | None:
    """Say which school of the case's region a child attends (None: no school, or unknown)."""
    case, rows = children_of(actor, case_id)
    if participant_id not in {r.participant.id for r in rows}:
        raise DomainError(_("Choose a child of this case."), field="participant_id")
    if school_agency_id is not None and school_agency_id not in {
            s.id for s in schools_of_region(case.region_code)}:
        raise DomainError(_("Choose a school of the case's region."), field="school_agency_id")
    row = db.session.execute(select(ChildSchool).where(
        ChildSchool.participant_id == participant_id)).scalar_one_or_none()
    if row is not None and school_agency_id is None:
        db.session.delete(row)
    elif row is not None:
        row.school_agency_id, row.linked_by_id, row.linked_at = (
            school_agency_id, actor.user_id, utcnow())
    elif school_agency_id is not None:
        row = ChildSchool(case_id=case.id, participant_id=participant_id,
                          school_agency_id=school_agency_id, linked_by_id=actor.user_id)
        db.session.add(row)
    db.session.flush()
    audit.record("school.child_linked", object_type="case", object_id=case.id,
                 details={"participant_id": participant_id, "school_agency_id": school_agency_id})
    return row if school_agency_id is not None else None


# --- notices ------------------------------------------------------------------------------------


def _police_reference(case: Case, incident: Incident) -> str:
    return incident.police_record_number or case.reference


@hooks.register_incident_hook
def notify_schools(actor: Actor, case: Case, incident: Incident) -> list[SchoolNotice]:
    """After an incident, one notice to the school of each child of the household linked to one,
    due before the next school day starts (in the incident's transaction)."""
    with acting_as(actor):
        links = db.session.execute(select(ChildSchool, CaseParticipant).join(
            CaseParticipant, CaseParticipant.id == ChildSchool.participant_id).where(
            ChildSchool.case_id == case.id)).all()
    if not links:
        return []
    calendar = school_calendar()
    due_at = calendar.deadline_after(max(incident.occurred_at, utcnow()))
    recorder = db.session.get(User, actor.user_id) if actor.user_id else None
    made = []
    for link, child in links:
        notice = SchoolNotice(
            case_id=case.id, incident_id=incident.id, participant_id=child.id,
            school_agency_id=link.school_agency_id, sender_agency_id=incident.recorded_by_agency_id,
            region_code=case.region_code, child_name=child.person.full_name,
            child_birth_date=child.person.birth_date,
            police_reference=_police_reference(case, incident),
            incident_date=cases.local_date(incident.occurred_at),
            child_present=bool(incident.children_present),
            contact_name=recorder.full_name if recorder else "",
            contact_agency=recorder.agency.name if recorder else "",
            contact_phone=(recorder.phone or recorder.agency.phone) if recorder else "",
            legal_ground=calendar.legal_ground, calendar_version=calendar.version, due_at=due_at)
        db.session.add(notice)
        made.append(notice)
    db.session.flush()
    for notice in made:
        audit.record("school_notice.create", object_type="school_notice", object_id=notice.id,
                     details={"case_id": case.id, "incident_id": incident.id,
                              "school_agency_id": notice.school_agency_id,
                              "legal_ground": notice.legal_ground,
                              "calendar_version": notice.calendar_version})
        # No case id with the event: the school's notification must not lead to the case.
        emit("school_notice.sent", subject_type="school_notice", subject_id=notice.id)
    return made


@scoped
def list_notices(actor: Actor, *, limit: int = 200) -> list[SchoolNotice]:
    """The notices the actor sees: unanswered first, by deadline. Audited: the list names the
    children."""
    notices = list(db.session.execute(
        select(SchoolNotice).options(joinedload(SchoolNotice.school))
        .order_by(SchoolNotice.status != NoticeStatus.SENT, SchoolNotice.due_at, SchoolNotice.id)
        .limit(limit)).scalars())
    audit.record("school_notice.list", details={"notices": [n.id for n in notices]})
    return notices


@scoped
def get_notice_for(actor: Actor, notice_id: int) -> SchoolNotice:
    """The notice if the actor sees it (audited), else NotVisible."""
    notice = db.session.execute(select(SchoolNotice).where(SchoolNotice.id == notice_id)
                                .execution_options(populate_existing=True)).scalar_one_or_none()
    if notice is None:
        raise NotVisible("school_notice", notice_id)
    audit.record("school_notice.view", object_type="school_notice", object_id=notice.id,
                 details={"case_id": notice.case_id})
    return notice


def is_school_user(actor: Actor, notice: SchoolNotice) -> bool:
    return actor.agency_id is not None and actor.agency_id == notice.school_agency_id


@scoped
def mark_received(actor: Actor, notice_id: int) -> SchoolNotice:
    """The school says it has the notice: this stops its escalation."""
    notice = get_notice_for(actor, notice_id)
    if not is_school_user(actor, notice) or actor.role not in (Role.OFFICER, Role.AGENCY_MANAGER):
        raise NotVisible("school_notice", notice_id)
    if notice.status == NoticeStatus.RECEIVED:
        return notice
    table = SchoolNotice.__table__
    done = db.session.execute(update(table).where(
        table.c.id == notice.id, table.c.status == NoticeStatus.SENT).values(
        status=NoticeStatus.RECEIVED, received_at=utcnow(), received_by_id=actor.user_id,
        version=table.c.version + 1)).rowcount
    db.session.refresh(notice)
    if done:
        audit.record("school_notice.received", object_type="school_notice",
                     object_id=notice.id, details={"case_id": notice.case_id})
        emit("school_notice.received", subject_type="school_notice", subject_id=notice.id)
    return notice


def overdue_notices(*, now: datetime, limit: int = 5000) -> list[tuple[int, datetime]]:
    """(id, deadline) of unanswered notices past their deadline (the sweep, as the system)."""
    with acting_as(system_actor("school notice sweep")):
        return [(row.id, row.due_at) for row in db.session.execute(
            select(SchoolNotice.id, SchoolNotice.due_at).where(
                SchoolNotice.status == NoticeStatus.SENT, SchoolNotice.due_at <= now)
            .order_by(SchoolNotice.due_at, SchoolNotice.id).limit(limit))]
