"""A case whose child is linked to a school, and an incident recorded at a given moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import time_machine

from referral.cases import incidents
from referral.extensions import db
from referral.schools import service
from tests.cases import factories as cf
from tests.fixtures import actor


def linked_case(officer: Any, school: Any) -> tuple[Any, dict[str, Any]]:
    case, members = cf.family_case(actor(officer))
    service.link_child(actor(officer), case.id, participant_id=members["child"].id,
                       school_agency_id=school.id)
    db.session.commit()
    return case, members


def incident_at(officer: Any, case: Any, moment: datetime, **fields: Any) -> Any:
    """Record an incident that happened at ``moment``, recorded at that moment too."""
    with time_machine.travel(moment, tick=False):
        found = incidents.record_incident(actor(officer), case.id, cf.incident_input(
            occurred_at=moment, children_present=True, police_record_number="KUSP-123",
            **fields))
        db.session.commit()
    return found
