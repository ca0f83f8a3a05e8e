"""Cross-agency targets of the safety plan routes (tests/test_cross_agency_404.py): a plan of
Police A's survivor; outsiders (other agencies, another region's coordinator, administrators)
get 404 for the form, the plan and its printout."""

from __future__ import annotations

from typing import Any

from referral.safety import service
from tests.fixtures import actor
from tests.safety.factories import plan_input


def _plan(w: dict[str, Any], r: dict[str, Any]) -> Any:
    if "safety_plan" not in r:
        r["safety_plan"] = service.save_plan(actor(w["officer"]), r["participant"].id,
                                             plan_input(), based_on=None)
    return r["safety_plan"]


def _form(w: dict[str, Any], r: dict[str, Any]) -> Any:
    from tests.test_cross_agency_404 import Target

    return Target({"participant_id": r["participant"].id})


def _view(w: dict[str, Any], r: dict[str, Any]) -> Any:
    from tests.test_cross_agency_404 import Target

    return Target({"plan_id": _plan(w, r).id})


TARGETS = {"safety.plan_form": _form, "safety.plan": _view, "safety.print_plan": _view}
