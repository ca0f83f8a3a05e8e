"""Cross-agency targets of the webhook pages (see tests/test_cross_agency_404.py): an endpoint
of Police A and one delivery to it. Only Police A's managers see them (administrators see
system endpoints only)."""

from __future__ import annotations

from typing import Any

from referral.access.scope import acting_as, system_actor
from referral.extensions import db
from referral.models_base import utcnow
from referral.webhooks.fanout import delivery_row
from referral.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.test_cross_agency_404 import Target


def _records(w: dict[str, Any], r: dict[str, Any]) -> dict[str, int]:
    if "webhook" not in r:
        with acting_as(system_actor("test setup")):
            endpoint = WebhookEndpoint(agency_id=w["police"].id, url="https://example.org/in",
                                       event_types=["referral.accepted"], secret_sealed="x")
            db.session.add(endpoint)
            db.session.flush()
            row = WebhookDelivery(**delivery_row(endpoint.id, None, "webhook.test", {},
                                                 utcnow()))
            db.session.add(row)
            db.session.flush()
        r["webhook"] = {"endpoint_id": endpoint.id, "delivery_id": row.id}
    return r["webhook"]


def _endpoint(insider: str | None) -> Any:
    def target(w: dict[str, Any], r: dict[str, Any]) -> Target:
        return Target({"endpoint_id": _records(w, r)["endpoint_id"]}, insider=insider)

    return target


TARGETS = {
    "webhooks.detail": _endpoint("manager"),
    "webhooks.edit": _endpoint("manager"),
    "webhooks.disable": _endpoint(None),
    "webhooks.enable": _endpoint(None),
    "webhooks.send_test": _endpoint(None),
    "webhooks.roll_secret": _endpoint(None),
    "webhooks.redeliver": lambda w, r: Target(
        {"delivery_id": _records(w, r)["delivery_id"]}, insider=None),
}
