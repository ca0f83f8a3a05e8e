"""The event types a partner can subscribe to, and the outbox kinds they come from.

Agency endpoints hear of their agency's referrals and conference actions; system endpoints
(administrators') hear of the system itself. The payload holds ids, codes, times and links:
never a name, IIN, address or note (``WebhookPayload`` is the documented shape).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, Field

EVENT_TYPES: dict[str, object] = {
    "referral.received": _l("A referral was received"),
    "referral.accepted": _l("A referral was accepted"),
    "referral.declined": _l("A referral was declined"),
    "referral.expired": _l("A referral expired unanswered"),
    "referral.completed": _l("A referral was completed"),
    "referral.escalated": _l("A referral was escalated"),
    "referral.cancelled": _l("A referral was cancelled"),
    "case_conference.action_due": _l("A case conference action is due"),
    "webhook.test": _l("Test event"),
}
SYSTEM_EVENT_TYPES: dict[str, object] = {
    "email.delivery_failed": _l("An e-mail notification could not be delivered"),
    "webhook.endpoint_disabled": _l("A webhook endpoint was disabled after failures"),
    "webhook.test": _l("Test event"),
}
# Every type an endpoint can hear, agency or system: labels for lists and the API's enum.
ALL_EVENT_TYPES: dict[str, object] = {**EVENT_TYPES, **SYSTEM_EVENT_TYPES}
TEST_TYPE = "webhook.test"
# ``last_error`` of a delivery is one of these codes (never the receiver's answer itself).
ERROR_LABELS: dict[str, object] = {
    "timeout": _l("No answer in time"),
    "connection_failed": _l("Could not connect"),
    "address_refused": _l("Address refused: not secure, or in a private network"),
    "http_error": _l("Error answer"),
    "endpoint_disabled": _l("Endpoint disabled"),
    "secret_unreadable": _l("Secret unreadable"),
    "worker_lost": _l("Interrupted"),
}
SENDER, RECEIVER = "sender_agency_id", "receiver_agency_id"


@dataclass(frozen=True)
class Route:
    """An outbox kind as a webhook type, and the event fields naming the agencies told
    (empty: system endpoints)."""

    type: str
    agencies: tuple[str, ...]


ROUTES: dict[str, Route] = {
    "referral.sent": Route("referral.received", (RECEIVER,)),
    "referral.accepted": Route("referral.accepted", (SENDER, RECEIVER)),
    "referral.declined": Route("referral.declined", (SENDER, RECEIVER)),
    "referral.expired": Route("referral.expired", (SENDER, RECEIVER)),
    "referral.completed": Route("referral.completed", (SENDER, RECEIVER)),
    "referral.escalated": Route("referral.escalated", (SENDER, RECEIVER)),
    "referral.cancelled": Route("referral.cancelled", (SENDER, RECEIVER)),
    "conference_action.due": Route("case_conference.action_due", ("agency_id",)),
    "system.delivery_failed": Route("email.delivery_failed", ()),
    "webhook.endpoint_disabled": Route("webhook.endpoint_disabled", ()),
    "webhook.system_endpoint_disabled": Route("webhook.endpoint_disabled", ()),
}


def types_for(system: bool) -> dict[str, object]:
    """The types an endpoint of this kind may subscribe to, with their labels."""
    return SYSTEM_EVENT_TYPES if system else EVENT_TYPES


class WebhookLinks(BaseModel):
    self: str | None = Field(None, description="The subject in the JSON API")
    fhir_task: str | None = Field(None, description="A referral as a FHIR Task")
    page: str | None = Field(None, description="The subject's page in the app")


class WebhookData(BaseModel):
    """Ids, codes and links only: read the subject through the API for anything more."""

    model_config = {"extra": "allow"}
    referral_id: int | None = None
    case_id: int | None = None
    conference_action_id: int | None = None
    conference_id: int | None = None
    links: WebhookLinks = Field(default_factory=WebhookLinks)


class WebhookPayload(BaseModel):
    """The body of every webhook (Standard Webhooks: ``type``, ``timestamp``, ``data``)."""

    type: str = Field(description="The event type, e.g. referral.accepted")
    timestamp: datetime = Field(description="When the event happened (UTC)")
    data: WebhookData


def payload_json(type_: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The body as stored and sent (validated against the documented model)."""
    model = WebhookPayload(type=type_, timestamp=at, data=WebhookData(**data))
    return model.model_dump(mode="json", exclude_none=True)
