"""Cases at a chosen risk level, and plans, for the safety tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from referral.access.scope import acting_as, system_actor
from referral.cases import risk
from referral.extensions import db
from referral.models_base import utcnow
from referral.safety import service
from referral.safety.models import ReassessmentSchedule
from tests.cases import factories as cf
from tests.fixtures import actor


def assess(who: Any, case_id: int, level: str) -> Any:
    """An assessment at ``level``: the answers give standard, professional judgement raises."""
    if level == "standard":
        return risk.record_assessment(who, case_id, cf.answers(0))
    return risk.record_assessment(who, case_id, cf.answers(0), override_level=level,
                                  override_reason="Seen at the door")


def plan_input(**fields: Any) -> service.PlanInput:
    values = {"main_concern": "He said he would come back tonight",
              "resources": "Sister in Kaskelen", "code_signal": "Curtain half drawn",
              "go_bag": "Passport at the neighbour's", "during_violence": "Lock the bathroom",
              "after_leaving": "New SIM card", "text_allowed": True,
              "partner_knows": "no"} | fields
    return service.PlanInput(**values)


def overdue_case(world: dict[str, Any], days: int = 10) -> tuple[Any, dict[str, Any]]:
    """A high-risk family case with a survivor's safety plan, its re-assessment ``days``
    overdue; flushed, not committed."""
    police = actor(world["officer"])
    case, members = cf.family_case(police)
    assess(police, case.id, "high")
    service.save_plan(police, members["survivor"].id, plan_input(), based_on=None)
    with acting_as(system_actor("test")):
        db.session.execute(update(ReassessmentSchedule).where(
            ReassessmentSchedule.case_id == case.id).values(due_at=utcnow() - timedelta(days=days)))
    return case, members
