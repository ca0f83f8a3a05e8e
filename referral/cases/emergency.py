"""Emergency ("break the glass") access: an officer opens a case of another agency.

A survivor is in front of the officer and their case is held elsewhere. With a reason (and
their password again, checked by the view) the officer opens the case found by its exact IIN
or reference: read-only, for ``EMERGENCY_ACCESS_DURATION`` (4 hours by default), every read
audited as ``case.emergency_view``, the owning agency's managers and the region's coordinators
told in the same transaction, and the grant listed on the coordinators' review until one of
them marks it reviewed. The grant works through the one scoping mechanism (a read-only sharing
source, ``emergency_scope``). Restricted cases never open this way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from referral.access import scoped
from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor, acting_as, system_actor
from referral.accounts.models import User
from referral.agencies.models import Agency
from referral.audit import service as audit
from referral.cases.emergency_models import EmergencyAccess
from referral.cases.emergency_scope import live_grant_ids
from referral.cases.models import Case, CaseParticipant, Person
from referral.cases.scope import visible_case_ids
from referral.cases.service import add_timeline_entry
from referral.cases.timeline import register_timeline_labels
from referral.errors import DomainError, NotVisible, StaleEdit
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.kinds import register_kind

DEFAULT_DURATION = timedelta(hours=4)
# Front-line agencies a survivor turns to in an emergency; others ask the owner for access.
AGENCY_TYPES = ("police", "special_police", "crisis_center")
MIN_REASON = 10

register_kind("case.emergency_access", _l("Emergency access to case %(reference)s"),
              _l("An officer of another agency opened a case of your agency or region with "
                 "emergency access. Review the access in the application."),
              ("owner_agency_managers", "region_coordinators"))

register_timeline_labels({"case.emergency_access": _l("Opened with emergency access by an "
                                                      "officer of another agency")})


def duration() -> timedelta:
    """How long a grant runs (``EMERGENCY_ACCESS_DURATION``)."""
    value = current_app.config.get("EMERGENCY_ACCESS_DURATION") or DEFAULT_DURATION
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def may_use(actor: Actor) -> bool:
    """Whether the actor's role and agency may break the glass (shown on the search page)."""
    if not role_can(actor.role, Permission.CASE_EMERGENCY_ACCESS) or actor.agency_id is None:
        return False
    kind = db.session.execute(select(Agency.type).where(Agency.id == actor.agency_id)).scalar()
    return kind in AGENCY_TYPES


def _kind_of(term: str) -> str | None:
    term = term.strip()
    if term.upper().startswith("KZ-"):
        return "reference"
    return "iin" if term.isdigit() and len(term) == 12 else None


def _matching_cases(term: str) -> list[int]:
    """Unrestricted cases with this exact reference or a person with this exact IIN."""
    kind = _kind_of(term)
    with acting_as(system_actor("emergency access: find the case")):
        if kind == "reference":
            query = select(Case.id).where(Case.reference == term.strip().upper())
        else:
            query = (select(Case.id).join(CaseParticipant, CaseParticipant.case_id == Case.id)
                     .join(Person, Person.id == CaseParticipant.person_id)
                     .where(Person.iin == term.strip()))
        query = query.where(Case.restricted.is_(False))
        return sorted(set(db.session.execute(query).scalars()))


@scoped
def start_emergency_access(actor: Actor, *, term: str, reason: str) -> list[EmergencyAccess]:
    """Open the case(s) found by exact IIN or reference that the actor does not see yet.

    A running grant of the actor on a case is returned again (a double submission opens nothing
    twice). Nothing found, or only restricted cases, answer the same: no case is confirmed.
    """
    if not may_use(actor):
        raise NotVisible("case", None)
    if _kind_of(term) is None:
        raise DomainError(_("Enter the exact IIN (12 digits) or case reference."), field="term")
    if len(reason.strip()) < MIN_REASON:
        raise DomainError(_("Say why you need this case now (at least %(n)d characters).",
                            n=MIN_REASON), field="reason")
    found = _matching_cases(term)
    with acting_as(actor):
        seen = set(db.session.execute(visible_case_ids(actor)).scalars())
        running = {grant.case_id: grant for grant in db.session.execute(
            select(EmergencyAccess).where(EmergencyAccess.user_id == actor.user_id,
                                          EmergencyAccess.case_id.in_(live_grant_ids(
                                              actor.user_id)))).scalars()}
    grants = []
    now = utcnow()
    for case_id in found:
        if case_id in running:
            grants.append(running[case_id])
        elif case_id not in seen:
            grants.append(_grant(actor, case_id, reason.strip(), now))
    if not grants:
        audit.record("case.emergency_access", object_type="case", outcome="denied",
                     details={"found": 0})
        raise DomainError(_("No case of another agency has this exact IIN or reference. "
                            "Check it, or search the cases you may see."), field="term")
    return grants


def _grant(actor: Actor, case_id: int, reason: str, now: datetime) -> EmergencyAccess:
    with acting_as(system_actor("emergency access: the case's owner")):
        owner = db.session.execute(select(Case.owner_agency_id).where(Case.id == case_id)).scalar()
    grant = EmergencyAccess(case_id=case_id, user_id=actor.user_id, agency_id=actor.agency_id,
                            reason=reason, started_at=now, ends_at=now + duration())
    db.session.add(grant)
    db.session.flush()
    audit.record("case.emergency_access", object_type="case", object_id=case_id,
                 details={"emergency_access_id": grant.id,
                          "minutes": int(duration().total_seconds() // 60)})
    add_timeline_entry(actor, case_id, "case.emergency_access", object_type="emergency_access",
                       object_id=grant.id, agency_id=actor.agency_id)
    # Ids only: the alert names the case by its reference, loaded by the notification sweep.
    emit("case.emergency_access", subject_type="case", subject_id=case_id,
         owner_agency_id=owner, emergency_access_id=grant.id)
    return grant


@dataclass(frozen=True)
class ReviewRow:
    grant: EmergencyAccess
    reference: str
    user_name: str
    agency_name: str


@scoped
def list_for_review(actor: Actor, *, limit: int = 100) -> list[ReviewRow]:
    """Grants on cases of the coordinator's regions not yet reviewed, oldest first."""
    if not role_can(actor.role, Permission.REFERRAL_COORDINATE):
        return []
    with acting_as(actor):
        rows = db.session.execute(
            select(EmergencyAccess, Case.reference, User.full_name, Agency.name)
            .join(Case, Case.id == EmergencyAccess.case_id)
            .join(User, User.id == EmergencyAccess.user_id)
            .join(Agency, Agency.id == EmergencyAccess.agency_id)
            .where(EmergencyAccess.reviewed_at.is_(None))
            .order_by(EmergencyAccess.started_at, EmergencyAccess.id).limit(limit)).all()
    return [ReviewRow(grant, ref, name, agency) for grant, ref, name, agency in rows]


@scoped
def mark_reviewed(actor: Actor, grant_id: int) -> EmergencyAccess:
    """A coordinator of the case's region marks the grant reviewed (once)."""
    if not role_can(actor.role, Permission.REFERRAL_COORDINATE):
        raise NotVisible("emergency_access", grant_id)
    with acting_as(actor):
        grant = db.session.execute(select(EmergencyAccess).where(
            EmergencyAccess.id == grant_id)).scalar_one_or_none()
    if grant is None:
        raise NotVisible("emergency_access", grant_id)
    table = EmergencyAccess.__table__
    done = db.session.execute(
        update(table).where(table.c.id == grant_id, table.c.reviewed_at.is_(None))
        .values(reviewed_at=utcnow(), reviewed_by_id=actor.user_id)).rowcount
    if done != 1:
        raise StaleEdit(_("This emergency access was already marked reviewed."))
    db.session.refresh(grant)
    audit.record("case.emergency_access_reviewed", object_type="emergency_access",
                 object_id=grant_id, details={"case_id": grant.case_id})
    return grant
