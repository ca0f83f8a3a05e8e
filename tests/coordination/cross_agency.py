"""The overdue review's row actions (POST only), beside the shared list in
tests/test_cross_agency_404.py."""

from __future__ import annotations

from typing import Any

from tests.test_cross_agency_404 import Target


def _referral(w: dict[str, Any], r: dict[str, Any]) -> Target:
    return Target({"referral_id": r["referral"].id}, insider=None)


TARGETS = {"coordination.row_extend": _referral, "coordination.row_escalate": _referral}
