"""What the case page, the home panels and the coordinator's review show: a case's next
re-assessment, the measures its level still misses, and its survivors' current safety plans."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, and_, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.sql.elements import ColumnElement

from referral.access import scoped
from referral.access.scope import Actor, acting_as
from referral.agencies.models import Agency
from referral.cases import page_reads
from referral.cases.hooks import register_case_page_read
from referral.cases.models import Case, CaseParticipant, CaseStatus
from referral.cases.scope import visible_categories
from referral.extensions import db
from referral.models_base import utcnow
from referral.safety.models import ReassessmentSchedule, SafetyPlan
from referral.safety.schedule import Due, escalation_due, measure_checks, missing_measures
from referral.safety.service import READ_CATEGORIES

LIMIT = 10
PAGE_PART = "safety"
DUE_AT, BASIS = "due_at", "basis"


@dataclass
class CaseSafety:
    """``due`` is None when the actor does not read the case's risk; ``plans`` (survivor's
    participant id → current plan) is empty when they do not read its plans."""

    due: Due | None
    reads_plans: bool
    plans: dict[int, SafetyPlan] = field(default_factory=dict)
    now: datetime = field(default_factory=utcnow)


@scoped
def case_safety(actor: Actor, case: Case) -> CaseSafety:
    """One statement for the whole of it, however many survivors the case has: the case page
    stays within its budget of statements. None at all when the case page's own statement
    read it (``_joined_into_case_page``)."""
    joined = page_reads.held(actor, case.id, PAGE_PART)
    if joined is not page_reads.MISSING:
        return cast(CaseSafety, joined)
    categories = visible_categories(actor, case)
    reads_risk, reads_plans = "risk_assessment" in categories, categories >= READ_CATEGORIES
    now = utcnow()
    if not reads_risk:
        return CaseSafety(None, False, now=now)
    checks = measure_checks(Case.id, now)
    plan_on = and_(SafetyPlan.case_id == Case.id, SafetyPlan.is_current.is_(True))
    if not reads_plans:
        plan_on = and_(plan_on, SafetyPlan.id.is_(None))
    with acting_as(actor):
        rows = db.session.execute(
            select(ReassessmentSchedule.due_at, ReassessmentSchedule.basis, SafetyPlan,
                   *(check.label(code) for code, check in checks.items()))
            .select_from(Case).where(Case.id == case.id)
            .outerjoin(ReassessmentSchedule, ReassessmentSchedule.case_id == Case.id)
            .outerjoin(SafetyPlan, plan_on)).all()
    if not rows:
        return CaseSafety(None, False, now=now)
    return _from_rows(case, rows, {code: code for code in checks}, reads_plans, now)


def _from_rows(case: Case, rows: Sequence[Any], labels: dict[str, str], reads_plans: bool,
               now: datetime) -> CaseSafety:
    """The section from its statement's rows; ``labels``: each check's column name."""
    first = rows[0]._mapping
    due = Due(case.id, case.risk_level, first[DUE_AT], first[BASIS] or "interval",
              missing_measures(case.risk_level,
                               {code: bool(first[label]) for code, label in labels.items()}))
    plans = {plan.participant_id: plan for plan in (row._mapping[SafetyPlan] for row in rows)
             if plan is not None}
    return CaseSafety(due, reads_plans, plans, now)


@register_case_page_read(PAGE_PART)
def _joined_into_case_page(_actor: Actor, statement: Select[Any], whole: ColumnElement[bool]
                           ) -> tuple[Select[Any], Callable[[Sequence[Any]], Any]]:
    """The section joined into the case page's statement (case and people, one row per
    person): its schedule on the case, each survivor's current plan on their row, and the
    measure checks as columns, each only where ``whole`` holds. Whoever reads every category
    of a case reads its risk and plans, so the section is whole for them."""
    now = utcnow()
    checks = measure_checks(Case.id, now)
    labels = {code: f"safety_{code}" for code in checks}
    joined = (statement
              .add_columns(ReassessmentSchedule.due_at, ReassessmentSchedule.basis, SafetyPlan,
                           *(sql_case((whole, check), else_=None).label(labels[code])
                             for code, check in checks.items()))
              .outerjoin(ReassessmentSchedule,
                         and_(ReassessmentSchedule.case_id == Case.id, whole))
              .outerjoin(SafetyPlan, and_(SafetyPlan.participant_id == CaseParticipant.id,
                                          SafetyPlan.case_id == Case.id,
                                          SafetyPlan.is_current.is_(True), whole)))

    def read(rows: Sequence[Any]) -> CaseSafety:
        return _from_rows(rows[0][0], rows, labels, True, now)

    return joined, read


def _list(actor: Actor, *conditions: Any, limit: int = LIMIT) -> dict[str, Any]:
    """Open cases with a re-assessment matching ``conditions``, soonest due first, each with the
    measures it misses; the first ``limit`` and the total, in one statement."""
    now = utcnow()
    checks = measure_checks(Case.id, now)
    with acting_as(actor):
        rows = db.session.execute(
            select(Case.id, Case.reference, Case.risk_level, Agency.name,
                   ReassessmentSchedule.due_at, ReassessmentSchedule.basis,
                   func.count().over().label("total"),
                   *(check.label(code) for code, check in checks.items()))
            .join(ReassessmentSchedule, ReassessmentSchedule.case_id == Case.id)
            .join(Agency, Agency.id == Case.owner_agency_id)
            .where(Case.status != CaseStatus.CLOSED, *conditions)
            .order_by(ReassessmentSchedule.due_at, Case.id).limit(limit)).all()
    due = [Due(r.id, r.risk_level, r.due_at, r.basis,
               missing_measures(r.risk_level, {code: bool(r._mapping[code]) for code in checks}),
               reference=r.reference, owner_name=r.name) for r in rows]
    return {"rows": due, "total": rows[0].total if rows else 0, "now": now}


def _due_by(now: datetime) -> ColumnElement[bool]:
    return ReassessmentSchedule.due_at <= now


@scoped
def agency_due(actor: Actor, *, within_days: int = 3) -> dict[str, Any]:
    """The actor's agency's cases due for re-assessment now or within ``within_days``."""
    return _list(actor, Case.owner_agency_id == actor.agency_id,
                 _due_by(utcnow() + timedelta(days=within_days)))


@scoped
def region_overdue(actor: Actor, *, region_code: str | None = None,
                   escalated_only: bool = False, limit: int = LIMIT) -> dict[str, Any]:
    """The coordinator's regions' cases past their re-assessment (``escalated_only``: past
    their level's escalation delay too), optionally one region."""
    regions = sorted(actor.region_ids)
    if region_code:
        regions = [r for r in regions if r == region_code]
    conditions: list[Any] = [Case.region_code.in_(regions), _due_by(utcnow())]
    if escalated_only:
        conditions.append(escalation_due(utcnow()))
    return _list(actor, *conditions, limit=limit)
