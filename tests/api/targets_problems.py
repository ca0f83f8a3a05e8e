"""Cross-agency targets of the API's documentation pages (gathered by tests/api/cross_agency.py
for tests/test_cross_agency_404.py): a problem type's page names no record of any agency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.test_cross_agency_404 import OUTSIDERS, Target

PUBLIC = {o: "a problem type's page is public documentation (its slug names no record)"
          for o in OUTSIDERS}


def _problem_type(w: dict[str, Any], r: dict[str, Any]) -> Target:
    return Target({"slug": "not-found"}, exempt=dict(PUBLIC))


TARGETS: dict[str, Callable[[dict, dict], Target]] = {"api.problem_type": _problem_type}
