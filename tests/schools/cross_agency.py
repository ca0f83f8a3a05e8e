"""Cross-agency targets of the school notice routes (tests/test_cross_agency_404.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.cases import incidents
from referral.cases.models import CaseParticipant
from referral.extensions import db
from referral.schools import service
from referral.schools.models import SchoolNotice
from tests.cases import factories as cf
from tests.fixtures import actor, make_agency


def _notice(w: dict[str, Any], r: dict[str, Any]) -> int:
    """A notice from Police A's case to a school of its region (made once per world)."""
    with acting_as(system_actor("test setup")):
        found = db.session.execute(select(SchoolNotice.id)).scalar()
        if found:
            return found
        child = db.session.execute(select(CaseParticipant.id).where(
            CaseParticipant.case_id == r["case"].id, CaseParticipant.role == "child")).scalar()
    school = make_agency("education", "KZ-75", name="School A")
    police = actor(w["officer"])
    service.link_child(police, r["case"].id, participant_id=child, school_agency_id=school.id)
    incidents.record_incident(police, r["case"].id, cf.incident_input(children_present=True))
    with acting_as(system_actor("test setup")):
        return db.session.execute(select(SchoolNotice.id)).scalar_one()


def _view(w: dict[str, Any], r: dict[str, Any]) -> Any:
    """The sending agency follows its notice; other agencies and regions get 404."""
    from tests.test_cross_agency_404 import Target

    return Target({"notice_id": _notice(w, r)})


def _children(w: dict[str, Any], r: dict[str, Any]) -> Any:
    from tests.test_cross_agency_404 import Target

    return Target({"case_id": r["case"].id})


TARGETS = {"schools.notice": _view, "schools.received": _view,
           "schools.children": _children}
