"""Cross-agency targets of the webhook operations of the API (gathered by tests/api/cross_agency.py
for tests/test_cross_agency_404.py): Police A's endpoint and a delivery to it, the records the
webhook pages' targets use. Only Police A's managers reach them; administrators manage system
endpoints only, so they get 404 too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.test_cross_agency_404 import Target
from tests.webhooks.cross_agency import _records

# A valid body for each call, so that an outsider's 404 is about the endpoint, not the body.
_BODIES: dict[str, Any] = {
    "get_webhook_endpoint": None,
    "list_webhook_deliveries": None,
    "update_webhook_endpoint": {"description": "changed", "event_types": ["referral.accepted"]},
    "roll_webhook_secret": {},
    "send_webhook_test": {},
}
_INSIDERS = {"get_webhook_endpoint": "manager", "list_webhook_deliveries": "manager"}


def _endpoint(name: str) -> Callable[[dict, dict], Target]:
    return lambda w, r: Target({"endpoint_id": _records(w, r)["endpoint_id"]},
                               insider=_INSIDERS.get(name), json=_BODIES[name])


TARGETS: dict[str, Callable[[dict, dict], Target]] = {
    **{f"api.{name}": _endpoint(name) for name in _BODIES},
    "api.redeliver_webhook": lambda w, r: Target(
        {"delivery_id": _records(w, r)["delivery_id"]}, insider=None, json={}),
}
