"""The referral routes added beside the shared list in tests/test_cross_agency_404.py."""

from __future__ import annotations

from typing import Any

from tests.test_cross_agency_404 import Target


def _referral(w: dict[str, Any], r: dict[str, Any]) -> Target:
    return Target({"referral_id": r["referral"].id}, insider=None)


TARGETS = {"referrals.enter_in_error": _referral, "referrals.add_progress_note": _referral}
