"""From an outbox event to deliveries, in the emitting transaction (an ``on_emit`` listener).

Each subscribed, active endpoint of an agency the event concerns gets one delivery row, with the
body it will be sent (ids, codes, times and links only). The unique key (endpoint, event) keeps
it to one per endpoint. A failure here is logged and does not undo the change.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from werkzeug.routing import BuildError

from referral.access.scope import acting_as, system_actor
from referral.bulk import insert_rows
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.links import external
from referral.webhooks.catalogue import ROUTES, Route, payload_json
from referral.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)
# Event fields that may travel (ids and codes); anything else in an event stays home.
_PASSED = ("case_id", "conference_id", "stage", "due_on", "sender_agency_id",
           "receiver_agency_id", "agency_id")


def new_msg_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def page_url(endpoint: str, **values: Any) -> str | None:
    """The app page's absolute address, built without a request (None if there is none)."""
    try:
        return external(current_app.url_map.bind("localhost").build(endpoint, values))
    except BuildError:
        return None


def event_data(event: OutboxEvent) -> dict[str, Any]:
    """The ``data`` of a webhook: the subject's id, the event's ids and codes, links."""
    data: dict[str, Any] = {key: event.data[key] for key in _PASSED
                            if isinstance(event.data.get(key), int | str)}
    api = external("/api/v1")
    if event.subject_type == "referral":
        data["referral_id"] = event.subject_id
        data["links"] = {"self": f"{api}/referrals/{event.subject_id}",
                         "fhir_task": f"{api}/fhir/Task/{event.subject_id}",
                         "page": page_url("referrals.detail", referral_id=event.subject_id)}
    elif event.subject_type == "conference_action":
        data["conference_action_id"] = event.subject_id
        data["links"] = {"page": page_url("coordination.conference",
                                          conference_id=data.get("conference_id"))}
    else:
        data[f"{event.subject_type}_id"] = event.subject_id
        data["links"] = {"page": page_url("notifications.system_health")
                         if event.subject_type == "delivery" else None}
    return data


def delivery_row(endpoint_id: int, event_id: int | None, type_: str, body: dict,
                 now: datetime) -> dict[str, Any]:
    return {"endpoint_id": endpoint_id, "event_id": event_id, "msg_id": new_msg_id(),
            "event_type": type_, "payload": body, "status": DeliveryStatus.PENDING,
            "attempts": 0, "next_attempt_at": now, "created_at": now}


def _wanted(endpoint: Any, event: OutboxEvent, route: Route) -> bool:
    if route.type not in (endpoint.event_types or []):
        return False
    if not route.agencies:
        return endpoint.agency_id is None
    return endpoint.agency_id is not None and endpoint.agency_id in {
        event.data.get(name) for name in route.agencies}


def fan_out(event: OutboxEvent) -> None:
    fan_out_many([event])


def fan_out_many(events: Sequence[OutboxEvent]) -> None:
    """Delivery rows for the events that map to a webhook type: one read of the active
    endpoints and one INSERT for the batch; nothing at all for other kinds."""
    routed = [(event, ROUTES[event.kind]) for event in events if event.kind in ROUTES]
    if not routed:
        return
    try:
        with db.session.begin_nested(), acting_as(system_actor("webhook fan-out")):
            endpoints = db.session.execute(
                select(WebhookEndpoint.id, WebhookEndpoint.agency_id,
                       WebhookEndpoint.event_types).where(WebhookEndpoint.active)).all()
            if not endpoints:
                return
            now = utcnow()
            rows = [delivery_row(endpoint.id, event.id, route.type,
                                 payload_json(route.type, event.created_at or now,
                                              event_data(event)), now)
                    for event, route in routed for endpoint in endpoints
                    if _wanted(endpoint, event, route)]
            insert_rows(WebhookDelivery.__table__, rows)
    except Exception:  # noqa: BLE001 - the change must go through
        log.exception("webhook fan-out of %d events failed", len(routed))
