"""Access requests: after a duplicate match in a case it may not see, an agency asks the owner.

The requester names the owning agency and re-enters nothing: the match is found again on the
server from the person's details, so the requester never learns which case it is.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update

from referral.access import scoped
from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor, acting_as, system_actor
from referral.audit import service as audit
from referral.cases import service as cases
from referral.cases.models import AccessRequest, Case, CaseParticipant
from referral.cases.people import PersonInput, matching_people
from referral.cases.scope import DATA_CATEGORIES, visible_case_ids
from referral.errors import DomainError, NotVisible, StaleEdit
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow


@scoped
def request_access(actor: Actor, *, from_case_id: int, agency_id: int, person: PersonInput,
                   reason: str) -> list[AccessRequest]:
    """Ask ``agency_id`` for access to its case(s) holding a person matching ``person``."""
    cases.writable_case(actor, from_case_id)
    if not reason.strip():
        raise DomainError(_("Say why your agency needs access."), field="reason")
    with acting_as(actor):
        mine = set(db.session.execute(visible_case_ids(actor)).scalars())
    with acting_as(system_actor("duplicate check: access request")):
        ids = [p.id for p in matching_people(person)]
        targets = db.session.execute(
            select(Case.id).join(CaseParticipant, CaseParticipant.case_id == Case.id)
            .where(CaseParticipant.person_id.in_(ids), Case.owner_agency_id == agency_id,
                   Case.restricted.is_(False))
        ).scalars().unique().all() if ids else []
        pending = set(db.session.execute(select(AccessRequest.case_id).where(
            AccessRequest.requester_agency_id == actor.agency_id,
            AccessRequest.status == "pending")).scalars())
    created = []
    for case_id in sorted(set(targets) - mine - pending):
        req = AccessRequest(case_id=case_id, from_case_id=from_case_id, owner_agency_id=agency_id,
                            requester_agency_id=actor.agency_id, requester_user_id=actor.user_id,
                            reason=reason.strip())
        db.session.add(req)
        db.session.flush()
        audit.record("access_request.create", object_type="access_request", object_id=req.id)
        emit("access_request.created", subject_type="access_request", subject_id=req.id,
             agency_id=agency_id)
        created.append(req)
    if not created and not pending & set(targets):
        raise DomainError(_("No matching person was found to ask about. Check the details."))
    return created


@scoped
def get_access_request_for(actor: Actor, request_id: int) -> AccessRequest:
    with acting_as(actor):
        req = db.session.execute(
            select(AccessRequest).where(AccessRequest.id == request_id)).scalar_one_or_none()
    if req is None:
        raise NotVisible("access_request", request_id)
    return req


@scoped
def list_access_requests(actor: Actor) -> tuple[list[AccessRequest], list[AccessRequest]]:
    """(Requests to the actor's agency, requests from it), newest first."""
    with acting_as(actor):
        rows = db.session.execute(
            select(AccessRequest).order_by(AccessRequest.created_at.desc()).limit(200)
        ).scalars().all()
    incoming = [r for r in rows if r.owner_agency_id == actor.agency_id]
    outgoing = [r for r in rows if r.requester_agency_id == actor.agency_id]
    return incoming, outgoing


@scoped
def decide_access_request(actor: Actor, request_id: int, *, grant: bool,
                          categories: tuple[str, ...] = DATA_CATEGORIES, note: str = ""
                          ) -> AccessRequest:
    """The owning agency's manager grants (with the data categories shared) or refuses."""
    req = get_access_request_for(actor, request_id)
    if (req.owner_agency_id != actor.agency_id
            or not role_can(actor.role, Permission.ACCESS_REQUEST_DECIDE)):
        raise NotVisible("access_request", request_id)
    cases.writable_case(actor, req.case_id)  # the manager must see the case (restricted ones)
    chosen = [c for c in DATA_CATEGORIES if c in categories]
    if grant and not chosen:
        raise DomainError(_("Choose at least one kind of information to share."),
                          field="categories")
    status = "granted" if grant else "refused"
    table = AccessRequest.__table__
    done = db.session.execute(
        update(table).where(table.c.id == req.id, table.c.status == "pending").values(
            status=status, categories=",".join(chosen) if grant else "",
            decided_by_id=actor.user_id, decided_at=utcnow(), decision_note=note.strip())
    ).rowcount
    if done != 1:
        raise StaleEdit(_("This request has already been answered."))
    db.session.refresh(req)
    audit.record(f"access_request.{status}", object_type="access_request", object_id=req.id,
                 details={"case_id": req.case_id, "agency_id": req.requester_agency_id,
                          "categories": chosen})
    cases.add_timeline_entry(actor, req.case_id, f"access.{status}",
                             object_type="access_request", object_id=req.id,
                             agency_id=req.requester_agency_id)
    emit(f"access_request.{status}", subject_type="access_request", subject_id=req.id,
         agency_id=req.requester_agency_id)
    return req
