"""Cross-agency targets of the emergency-access routes (tests/test_cross_agency_404.py)."""

from __future__ import annotations

from typing import Any

from referral.access.permissions import Role
from referral.cases import emergency
from tests.fixtures import actor, make_agency, make_user


def _grant(w: dict[str, Any], r: dict[str, Any]) -> Any:
    """A crisis officer of another region opened Police A's case in an emergency: only the
    coordinators of the case's region mark it reviewed (POST only)."""
    from tests.test_cross_agency_404 import Target

    crisis = make_user(make_agency("crisis_center", "KZ-71", name="Crisis C"), Role.OFFICER)
    [grant] = emergency.start_emergency_access(actor(crisis), term=r["case"].reference,
                                               reason="A survivor in front of me, injured")
    return Target({"grant_id": grant.id}, insider=None)


TARGETS = {"cases.emergency_reviewed": _grant}
