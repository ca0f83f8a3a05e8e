"""Cross-agency targets of the legal-hold routes (tests/test_cross_agency_404.py)."""

from __future__ import annotations

from typing import Any

from referral.retention import service
from tests.fixtures import actor


def _place(w: dict[str, Any], r: dict[str, Any]) -> Any:
    """Police A's manager places holds on Police A's case; outsiders get 404."""
    from tests.test_cross_agency_404 import Target

    return Target({"case_id": r["case"].id}, insider="manager")


def _release(w: dict[str, Any], r: dict[str, Any]) -> Any:
    """A hold in force on Police A's case: its manager and the region's coordinator release it."""
    from tests.test_cross_agency_404 import Target

    hold = service.place_hold(actor(w["manager"]), r["case"].id, reason="Court proceedings")
    return Target({"hold_id": hold.id}, insider="manager")


TARGETS = {"retention.place": _place, "retention.release": _release}
