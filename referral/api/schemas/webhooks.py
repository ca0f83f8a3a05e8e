"""Webhook endpoint bodies and answers of the API: register, change, the secret (shown once),
the delivery log and the event catalogue.

The event types are an enum built from the catalogue (referral.webhooks.catalogue), so the
OpenAPI document names every type a client may subscribe to.
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, Field

from referral.api.paging import PageQuery
from referral.webhooks.catalogue import ALL_EVENT_TYPES
from referral.webhooks.models import DeliveryStatus

EventType = enum.StrEnum("EventType", {t: t for t in ALL_EVENT_TYPES})
WebhookDeliveryStatus = DeliveryStatus


class EndpointIn(BaseModel):
    """A new endpoint: where to post, and which events (an agency's endpoint: its agency's
    referral and conference events; an administrator's: the system's)."""

    url: str = Field(min_length=1, max_length=500,
                     description="HTTPS address of the receiver (no private addresses).")
    description: str = Field("", max_length=200)
    event_types: list[EventType] = Field(min_length=1)


class EndpointPatch(BaseModel):
    """What to change; an absent field stays as it is. ``active`` false: nothing more is
    posted; true again: the failure count starts afresh."""

    url: str | None = Field(None, min_length=1, max_length=500)
    description: str | None = Field(None, max_length=200)
    event_types: list[EventType] | None = Field(None, min_length=1)
    active: bool | None = None


class Endpoint(BaseModel):
    """A registered endpoint (never its secret)."""

    id: int
    url: str
    description: str
    event_types: list[str]
    system: bool = Field(description="An administrators' endpoint for system events.")
    active: bool
    disabled_at: datetime | None
    disabled_reason: str | None = Field(description='"manual" or "failing".')
    consecutive_failures: int
    previous_secret_until: datetime | None = Field(
        description="After a roll, the old secret still signs (beside the new one) until then.")
    created_at: datetime
    version: int = Field(description="The version If-Match names (the ETag).")


class EndpointWithSecret(Endpoint):
    """The endpoint and its signing secret: shown in this answer only, never again."""

    secret: str | None = Field(
        description="The Standard Webhooks signing secret (whsec_...). Shown once; null when "
                    "the answer is a replay of an Idempotency-Key (roll the secret if it was "
                    "lost).")


class Endpoints(BaseModel):
    items: list[Endpoint]


class Delivery(BaseModel):
    """One event for one endpoint: its message id (``webhook-id``), state and attempts; the
    error is a code, never the receiver's answer."""

    id: int
    endpoint_id: int
    msg_id: str
    event_type: str
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_error_label: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict = Field(description="The body sent (ids, types, times and links only).")


class DeliveryQuery(PageQuery):
    status: WebhookDeliveryStatus | None = None


class EventTypeOut(BaseModel):
    type: str
    label: str = Field(description="In the caller's language.")


class EventTypes(BaseModel):
    items: list[EventTypeOut]
