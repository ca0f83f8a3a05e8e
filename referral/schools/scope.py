"""Who sees school notices and children's school links.

A notice is the school's: its users read it whatever their reach into the case (they have none).
Of those who see the case, the agency that sent it and the region's coordinators follow it; no
one else, and administrators never. A child's school link is part of the case.
"""

from __future__ import annotations

from sqlalchemy import and_, false, or_
from sqlalchemy.sql.elements import ColumnElement

from referral.access.permissions import Role
from referral.access.scope import Actor, register_scope
from referral.cases.scope import case_visible_exists, scope_via_case
from referral.schools.models import ChildSchool, SchoolNotice

scope_via_case(ChildSchool)


@register_scope(SchoolNotice)
def notice_visible(actor: Actor) -> ColumnElement[bool]:
    if actor.role == Role.ADMINISTRATOR or actor.user_id is None:
        return false()
    if actor.role == Role.COORDINATOR:
        if not actor.region_ids:
            return false()
        return and_(SchoolNotice.region_code.in_(sorted(actor.region_ids)),
                    case_visible_exists(SchoolNotice.case_id, actor))
    if actor.agency_id is None:
        return false()
    return or_(SchoolNotice.school_agency_id == actor.agency_id,
               and_(SchoolNotice.sender_agency_id == actor.agency_id,
                    case_visible_exists(SchoolNotice.case_id, actor)))
