"""Cross-agency targets of the referral, notification and directory operations of the API
(gathered by tests/api/cross_agency.py for tests/test_cross_agency_404.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.test_cross_agency_404 import OUTSIDERS, Target

# A valid body for each move, so that an outsider's 404 is about the referral, not the body.
_MOVES = {
    "accept_referral": {},
    "decline_referral": {"reason_code": "no_capacity", "note": ""},
    "start_referral": {"note": ""},
    "add_referral_progress_note": {"text": "A note."},
    "complete_referral": {"outcome": "service_provided", "note": ""},
    "cancel_referral": {"reason_code": "no_longer_needed", "note": ""},
}
_READS = ("get_referral", "referral_history", "referral_progress_notes")
PUBLIC_DIRECTORY = "the directory is public to every user who may read it (as the page)"


def _referral(insider: str | None, body: Any = None) -> Callable[[dict, dict], Target]:
    return lambda w, r: Target({"referral_id": r["referral"].id}, insider=insider, json=body)


TARGETS: dict[str, Callable[[dict, dict], Target]] = {
    **{f"api.{name}": _referral("officer") for name in _READS},
    **{f"api.{name}": _referral(None, body) for name, body in _MOVES.items()},
    "api.read_notification": lambda w, r: Target(
        {"notification_id": r["notification"].id}, insider=None, json={}),
    "api.get_agency": lambda w, r: Target(
        {"agency_id": w["police"].id}, exempt={who: PUBLIC_DIRECTORY for who in OUTSIDERS}),
}
