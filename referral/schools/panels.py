"""Home panel: a school's notices awaiting confirmation, and a coordinator's region's notices
not confirmed in time."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import case, func, select

from referral.access.permissions import Role
from referral.access.scope import Actor, acting_as
from referral.agencies.models import AgencyType
from referral.extensions import db
from referral.home.panels import register_panel
from referral.models_base import utcnow
from referral.schools.models import NoticeStatus, SchoolNotice


def _is_school_user() -> bool:
    """From the logged-in user's agency, already loaded with the user: no statement for the
    other agencies' staff, whose home shows no such panel."""
    agency = getattr(current_user, "agency", None)
    return agency is not None and agency.type == AgencyType.EDUCATION


@register_panel("school_notices", template="schools/_panel.html",
                roles={Role.OFFICER, Role.AGENCY_MANAGER, Role.COORDINATOR}, order=7)
def _notices(actor: Actor) -> dict[str, Any]:
    if actor.role != Role.COORDINATOR and not _is_school_user():
        return {}
    late = func.coalesce(func.sum(case((SchoolNotice.due_at <= utcnow(), 1), else_=0)), 0)
    with acting_as(actor):
        waiting, overdue = db.session.execute(select(func.count(), late).where(
            SchoolNotice.status == NoticeStatus.SENT)).one()
    if actor.role == Role.COORDINATOR and not overdue:
        return {}
    return {"waiting": waiting, "overdue": overdue,
            "school": actor.role != Role.COORDINATOR}
