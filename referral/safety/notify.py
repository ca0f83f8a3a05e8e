"""The re-assessment reminders of the sweep: the lead agency when one falls due, the region's
coordinators when it is overdue past its level's escalation delay. Each once per due time (a new
assessment gives a new due time, and so new reminders). The e-mail says only that a
re-assessment awaits, with the case's link: nothing of the case or its plan."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from referral.cases.models import Case, CaseStatus
from referral.events.service import EventSpec
from referral.extensions import db
from referral.notifications.kinds import register_kind
from referral.notifications.rules import (
    Reminder,
    not_logged,
    once_many,
    register_rule,
    stamp,
    stamp_sql,
)
from referral.safety.models import ReassessmentSchedule
from referral.safety.schedule import escalation_due, reschedule

DUE = "reassessment.due"
OVERDUE = "reassessment.overdue"
_schedules = ReassessmentSchedule.__table__
_cases = Case.__table__

register_kind(DUE, _l("Risk re-assessment due: case %(reference)s"),
              _l("A risk re-assessment of a case your agency leads is due."),
              ("case_owner_agency",))
register_kind(OVERDUE, _l("Risk re-assessment overdue: case %(reference)s"),
              _l("A risk re-assessment in your region is overdue."), ("region_coordinators",))


def _reminders(kind: str, *conditions: object) -> list[Reminder]:
    rows = db.session.execute(
        select(_schedules.c.case_id, _schedules.c.due_at)
        .join(_cases, _cases.c.id == _schedules.c.case_id)
        .where(_cases.c.status != CaseStatus.CLOSED, *conditions)
        .order_by(_schedules.c.due_at)).all()
    return [Reminder("case", row.case_id, kind, stamp(row.due_at),
                     EventSpec(kind, "case", row.case_id)) for row in rows]


@register_rule("reassessment", order=60)
def remind_reassessments(*, now: datetime) -> int:
    """Due re-assessments to the lead agency, overdue ones to the coordinators; once each."""
    reschedule()

    def fresh(kind: str) -> object:
        return not_logged("case", _schedules.c.case_id, kind, stamp_sql(_schedules.c.due_at))

    due = _reminders(DUE, _schedules.c.due_at <= now, fresh(DUE))
    overdue = _reminders(OVERDUE, escalation_due(now), fresh(OVERDUE))
    return once_many(due) + once_many(overdue)
