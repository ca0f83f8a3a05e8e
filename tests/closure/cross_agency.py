"""Cross-agency targets of the closure checklist routes (tests/test_cross_agency_404.py)."""

from __future__ import annotations

from typing import Any


def _case(w: dict[str, Any], r: dict[str, Any]) -> Any:
    """Police A's staff fill in and sign off its case's checklist; outsiders get 404."""
    from tests.test_cross_agency_404 import Target

    return Target({"case_id": r["case"].id})


TARGETS = {"closure.checklist": _case, "closure.sign_off": _case}
