"""Safety plans and re-assessment schedules are seen exactly when their case is; which agencies
read a plan within that (consent) is decided in referral.safety.service.reads_plans."""

from __future__ import annotations

from referral.cases.scope import scope_via_case
from referral.safety.models import ReassessmentSchedule, SafetyPlan

scope_via_case(SafetyPlan)
scope_via_case(ReassessmentSchedule)

# The schedule's listeners (an assessment flushed, an incident recorded) join at start-up.
from referral.safety import schedule  # noqa: E402,F401
