"""Cases at a chosen risk level, and plans, for the safety tests."""

from __future__ import annotations

from typing import Any

from referral.cases import risk
from referral.safety import service
from tests.cases import factories as cf


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
