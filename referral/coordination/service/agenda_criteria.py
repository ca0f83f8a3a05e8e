"""Which cases of a region qualify for a case conference, and why (the MARAC criteria).

Runs as the current actor, so the case scope (and so the restricted-case rule) applies.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from referral.cases.models import Case, CaseStatus, Incident, RiskAssessment, RiskLevel
from referral.coordination.models import AgendaReason
from referral.extensions import db
from referral.referrals.models import Referral

REPEAT_WINDOW = timedelta(days=365)


def _open_cases(region_code: str):  # noqa: ANN202
    return select(Case.id).where(Case.region_code == region_code, Case.restricted.is_(False),
                                 Case.status != CaseStatus.CLOSED)


def qualifying_cases(region_code: str, now: datetime) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}

    def add(ids: list[int], reason: str) -> None:
        for case_id in ids:
            found.setdefault(case_id, set()).add(reason)

    base = _open_cases(region_code)
    add(list(db.session.execute(base.where(Case.risk_level == RiskLevel.HIGH)).scalars()),
        AgendaReason.HIGH_RISK)
    add(_repeat(base, now), AgendaReason.REPEAT)
    expired = select(Referral.case_id).where(Referral.status == "expired").distinct()
    add(list(db.session.execute(base.where(Case.id.in_(expired))).scalars()),
        AgendaReason.EXPIRED_REFERRAL)
    add(_professional_judgement(base), AgendaReason.PROFESSIONAL_JUDGEMENT)
    return found


def _repeat(base, now: datetime) -> list[int]:  # noqa: ANN001
    """A new incident within 12 months of an earlier one (two or more in the window, or one
    recorded as a repeat)."""
    recent = select(Incident.case_id).where(Incident.occurred_at >= now - REPEAT_WINDOW)
    several = recent.group_by(Incident.case_id).having(func.count(Incident.id) >= 2)
    flagged = recent.where(Incident.is_repeat.is_(True))
    return list(db.session.execute(
        base.where(Case.id.in_(several.union(flagged)))).scalars())


def _professional_judgement(base) -> list[int]:  # noqa: ANN001
    """Cases whose latest risk assessment was raised to high by professional judgement."""
    latest = (select(RiskAssessment.case_id, func.max(RiskAssessment.id).label("last_id"))
              .group_by(RiskAssessment.case_id).subquery())
    raised = (select(RiskAssessment.case_id)
              .join(latest, latest.c.last_id == RiskAssessment.id)
              .where(RiskAssessment.override_level == RiskLevel.HIGH))
    return list(db.session.execute(base.where(Case.id.in_(raised))).scalars())
