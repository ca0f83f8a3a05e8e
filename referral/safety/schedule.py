"""Each case's next risk re-assessment and the least its level expects, kept up to date.

The due time is the last assessment plus its level's interval (referral/data/reassessment.json);
an incident that happened after the last assessment makes it due at once. Both are written as
they happen (an assessment flushed, an incident recorded), so that lists and the sweep read one
indexed date and never work it out from each case's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, false, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from referral.agencies.models import Agency, AgencyType
from referral.cases.hooks import register_incident_hook
from referral.cases.models import Case, Incident, RiskAssessment, RiskLevel, SafeContact
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals.models import Referral
from referral.safety.models import ReassessmentSchedule, SafetyPlan
from referral.safety.policy import Label, Policy, current

_schedules = ReassessmentSchedule.__table__
INCIDENT = "incident"
INTERVAL = "interval"


def _upsert(connection: Connection, values: dict[str, Any]) -> None:
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(_schedules).values(**values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[_schedules.c.case_id],
        set_={name: statement.excluded[name] for name in values if name != "case_id"}))


@event.listens_for(Session, "after_flush")
def _assessed(session: Session, _context: Any) -> None:
    """A completed assessment sets the next one's due time from its level. Written on the
    flush's own connection, in the assessment's transaction, whoever recorded it."""
    found = [obj for obj in session.new if isinstance(obj, RiskAssessment)]
    if not found:
        return
    policy = current()
    connection = session.connection()
    for assessment in sorted(found, key=lambda a: a.assessed_at or utcnow()):
        assessed_at = assessment.assessed_at or utcnow()
        _upsert(connection, {"case_id": assessment.case_id, "level": assessment.level,
                             "assessed_at": assessed_at, "basis": INTERVAL,
                             "due_at": policy.due_after(assessment.level, assessed_at),
                             "policy_version": policy.version})


@register_incident_hook
def _incident_recorded(_actor: Any, case: Case, incident: Incident) -> None:
    """An incident after the last assessment (or with none yet) makes one due at once."""
    row = db.session.execute(select(_schedules.c.assessed_at, _schedules.c.due_at)
                             .where(_schedules.c.case_id == case.id)).first()
    now = utcnow()
    if row is not None and row.assessed_at is not None and incident.occurred_at <= row.assessed_at:
        return
    if row is not None and row.due_at <= now:
        return
    _upsert(db.session.connection(), {
        "case_id": case.id, "level": case.risk_level,
        "assessed_at": row.assessed_at if row is not None else None, "basis": INCIDENT,
        "due_at": now, "policy_version": current().version})


def reschedule(policy: Policy | None = None) -> int:
    """Recompute the due times written under an earlier policy version (after a change of
    reassessment.json); due-at-once rows stay due. How many changed."""
    policy = policy or current()
    rows = db.session.execute(select(_schedules.c.id, _schedules.c.level,
                                     _schedules.c.assessed_at).where(
        _schedules.c.policy_version != policy.version, _schedules.c.basis == INTERVAL,
        _schedules.c.assessed_at.is_not(None))).all()
    for row in rows:
        db.session.execute(_schedules.update().where(_schedules.c.id == row.id).values(
            due_at=policy.due_after(row.level, row.assessed_at), policy_version=policy.version))
    return len(rows)


# --- the minimum measures, checked against the case's data ------------------------------------


def measure_checks(case_id: ColumnElement[int], now: datetime) -> dict[str, ColumnElement[bool]]:
    """One EXISTS per measure the policy may ask for, correlated on ``case_id``.

    Plain tables, not the scoped models: whether a measure was taken is a fact about a case the
    actor already sees (an officer reads no conference agenda, yet their case is on it). The
    conference tables belong to the coordination domain, which comes after this one: they are
    read by name from the schema, so this domain does not import it."""

    referrals, agencies = Referral.__table__, Agency.__table__
    items = db.metadata.tables["conference_agenda_items"]
    conferences = db.metadata.tables["case_conferences"]
    plans, contacts = SafetyPlan.__table__, SafeContact.__table__

    def any_row(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
        # Correlated on the case alone: the page's own query may read plans too.
        return select(literal(1)).where(*conditions).correlate(Case.__table__).exists()

    return {
        "crisis_referral": any_row(
            referrals.c.case_id == case_id, referrals.c.receiver_agency_id == agencies.c.id,
            agencies.c.type == AgencyType.CRISIS_CENTER,
            referrals.c.status != "entered_in_error"),
        "safety_plan": any_row(plans.c.case_id == case_id, plans.c.is_current),
        "conference_agenda": any_row(
            items.c.case_id == case_id, items.c.conference_id == conferences.c.id,
            conferences.c.status == "scheduled",
            conferences.c.scheduled_at >= now - timedelta(days=1)),
        "safe_contact": any_row(
            contacts.c.case_id == case_id,
            or_(contacts.c.safe_phone != "", contacts.c.safe_times != "",
                contacts.c.do_not_contact)),
    }


@dataclass
class Due:
    """A case's re-assessment as a page shows it."""

    case_id: int
    level: str | None
    due_at: datetime | None
    basis: str = INTERVAL
    missing: list[Label] = field(default_factory=list)
    reference: str = ""
    owner_name: str = ""

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at <= now


def missing_measures(level: str | None, facts: dict[str, bool]) -> list[Label]:
    """The labels of the measures the level expects that the case's data does not show."""
    policy = current()
    found = policy.level(level)
    if found is None:
        return []
    return [policy.measures[code] for code in found.measures if not facts.get(code)]


def escalation_due(now: datetime) -> ColumnElement[bool]:
    """Schedules overdue past their level's escalation delay (an unknown level as high)."""
    policy = current()
    branches = [and_(_level_is(code), _schedules.c.due_at <= now - level.escalate_after)
                for code, level in policy.levels.items()]
    return or_(*branches) if branches else false()


def _level_is(code: str) -> ColumnElement[bool]:
    if code == RiskLevel.HIGH:
        return or_(_schedules.c.level == code, _schedules.c.level.is_(None))
    return _schedules.c.level == code
