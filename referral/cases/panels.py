"""Home panels: the agency's open cases, and high-risk cases (coordinators: their region's)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from referral.access.permissions import Role
from referral.access.scope import Actor, acting_as
from referral.cases.models import Case, CaseStatus, RiskLevel
from referral.extensions import db
from referral.home.panels import register_panel

LIMIT = 10


def _cases(actor: Actor, *conditions: Any) -> dict[str, Any]:
    """The first rows and the total in one statement: a home page runs several panels, and
    each saved round trip counts.

    The total is ``count(*) OVER ()``, counted before the limit, except for a coordinator:
    PostgreSQL costs a window count under a LIMIT as if the limit stopped the scan early, and
    with the case list's "high risk first" index of a region it walks the whole region in index
    order to count 700 rows (47 ms instead of 2). Their total is a subquery of its own; an
    agency's cases have no such index, and counting them apart would build the agency's visible
    set twice.
    """
    if actor.role == Role.COORDINATOR:
        counted = select(Case.id).where(*conditions).correlate(None).subquery()
        total: Any = select(func.count()).select_from(counted).scalar_subquery()
    else:
        total = func.count().over()
    with acting_as(actor):
        found = db.session.execute(
            select(Case, total.label("total")).where(*conditions)
            .order_by(Case.high_risk_flagged_at.desc().nulls_last(), Case.created_at.desc())
            .limit(LIMIT)).all()
    return {"cases": [row.Case for row in found], "total": found[0].total if found else 0}


@register_panel("cases_open", template="cases/_panel_open.html",
                roles={Role.OFFICER, Role.AGENCY_MANAGER}, order=10)
def _open_cases(actor: Actor) -> dict[str, Any]:
    return _cases(actor, Case.owner_agency_id == actor.agency_id,
                  Case.status != CaseStatus.CLOSED)


@register_panel("cases_high_risk", template="cases/_panel_high_risk.html",
                roles={Role.OFFICER, Role.AGENCY_MANAGER, Role.COORDINATOR}, order=5)
def _high_risk(actor: Actor) -> dict[str, Any]:
    return _cases(actor, Case.risk_level == RiskLevel.HIGH, Case.status != CaseStatus.CLOSED)
