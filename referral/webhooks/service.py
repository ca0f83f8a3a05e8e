"""Managing endpoints: agency managers for their agency, administrators for the system's.

Every change is audited (webhook.*) and runs in the caller's transaction (``run_action``).
Endpoints are read through the row scope: another agency's endpoint is NotVisible (404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm.exc import StaleDataError

from referral.access.acting import scoped
from referral.access.permissions import Role
from referral.access.scope import Actor
from referral.audit import service as audit
from referral.errors import DomainError, NotVisible, StaleEdit
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.links import external
from referral.webhooks import signing
from referral.webhooks.catalogue import TEST_TYPE, payload_json, types_for
from referral.webhooks.fanout import delivery_row, page_url
from referral.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from referral.webhooks.urls import check_url

SECRET_GRACE = timedelta(hours=24)  # a rolled secret still signs this long
T = TypeVar("T")
MANAGERS = (Role.AGENCY_MANAGER.value, Role.ADMINISTRATOR.value)


@dataclass
class EndpointInput:
    url: str
    description: str = ""
    event_types: list[str] = field(default_factory=list)


def can_manage(actor: Actor) -> bool:
    """Agency managers (their agency's endpoints) and administrators (the system's)."""
    return actor.role in MANAGERS and (actor.role == Role.ADMINISTRATOR.value
                                       or actor.agency_id is not None)


def _owner(actor: Actor) -> int | None:
    if not can_manage(actor):
        raise DomainError(_("You may not manage webhooks."))
    return None if actor.role == Role.ADMINISTRATOR.value else actor.agency_id


def _validate(actor: Actor, data: EndpointInput) -> EndpointInput:
    allowed = types_for(_owner(actor) is None)
    types = [t for t in dict.fromkeys(data.event_types) if t in allowed]
    if not types:
        raise DomainError(_("Choose at least one event type."), field="event_types")
    try:
        url = check_url(data.url, resolve=False)  # resolved by check_address, before this
    except DomainError as err:
        raise DomainError(err.message, field="url") from None
    return EndpointInput(url, (data.description or "").strip()[:200], types)


def check_address(url: str) -> None:
    """Refuse an address that leads into a private network, resolving its name: called before
    the saving transaction, so that a slow resolver never holds SQLite's write lock (and the
    address is checked again before every delivery)."""
    try:
        check_url(url)
    except DomainError as err:
        raise DomainError(err.message, field="url") from None


@scoped
def list_endpoints(actor: Actor) -> list[WebhookEndpoint]:
    _owner(actor)
    return list(db.session.execute(select(WebhookEndpoint).order_by(
        WebhookEndpoint.created_at.desc(), WebhookEndpoint.id.desc())).scalars())


@scoped
def get_endpoint(actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    found = db.session.execute(select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id)).scalar_one_or_none() if can_manage(actor) else None
    if found is None:
        raise NotVisible("webhook_endpoint", endpoint_id)
    return found


@scoped
def create_endpoint(actor: Actor, data: EndpointInput) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown once: only the sealed form is kept)."""
    owner = _owner(actor)
    data = _validate(actor, data)
    # One endpoint per address and owner: a second would receive every event twice, and a
    # reloaded "secret shown once" page would otherwise register the address again.
    if db.session.execute(select(WebhookEndpoint.id).where(
            WebhookEndpoint.url == data.url)).first() is not None:
        raise DomainError(_("This address is already registered: change that endpoint "
                            "instead."), field="url")
    endpoint = WebhookEndpoint(agency_id=owner, url=data.url, description=data.description,
                               event_types=data.event_types, secret_sealed="",
                               created_by_id=actor.user_id)
    db.session.add(endpoint)
    db.session.flush()
    secret = signing.new_secret()
    endpoint.secret_sealed = signing.seal(secret, endpoint.id)
    db.session.flush()
    audit.record("webhook.create", object_type="webhook_endpoint", object_id=endpoint.id)
    return endpoint, secret


def _stale() -> StaleEdit:
    return StaleEdit(_("Someone else changed this endpoint while you were editing. Your "
                       "changes are still in the form; save again to keep them."))


@scoped
def update_endpoint(actor: Actor, endpoint_id: int, data: EndpointInput, *,
                    expected_version: int | None) -> WebhookEndpoint:
    endpoint = get_endpoint(actor, endpoint_id)
    if expected_version is not None and endpoint.version != expected_version:
        raise _stale()
    data = _validate(actor, data)
    endpoint.url, endpoint.description = data.url, data.description
    endpoint.event_types = data.event_types
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise _stale() from exc
    audit.record("webhook.update", object_type="webhook_endpoint", object_id=endpoint.id)
    return endpoint


@scoped
def set_active(actor: Actor, endpoint_id: int, active: bool) -> WebhookEndpoint:
    """Disable (nothing more is posted) or enable again (the failure count starts afresh)."""
    endpoint = get_endpoint(actor, endpoint_id)
    endpoint.active = active
    endpoint.disabled_at = None if active else utcnow()
    endpoint.disabled_reason = None if active else "manual"
    if active:
        endpoint.consecutive_failures, endpoint.failing_since = 0, None
    db.session.flush()
    audit.record("webhook.enable" if active else "webhook.disable",
                 object_type="webhook_endpoint", object_id=endpoint.id)
    return endpoint


@scoped
def roll_secret(actor: Actor, endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """A new secret; the old one still signs (beside it) for a day, so the receiver can switch."""
    endpoint = get_endpoint(actor, endpoint_id)
    secret = signing.new_secret()
    endpoint.previous_secret_sealed = endpoint.secret_sealed
    endpoint.previous_secret_until = utcnow() + SECRET_GRACE
    endpoint.secret_sealed = signing.seal(secret, endpoint.id)
    db.session.flush()
    audit.record("webhook.roll_secret", object_type="webhook_endpoint", object_id=endpoint.id)
    return endpoint, secret


@scoped
def send_test(actor: Actor, endpoint_id: int) -> WebhookDelivery:
    """A test event to the endpoint (no outbox event: its own delivery row)."""
    endpoint = get_endpoint(actor, endpoint_id)
    if not endpoint.active:
        raise DomainError(_("Enable the endpoint first."))
    now = utcnow()
    body = payload_json(TEST_TYPE, now, {"endpoint_id": endpoint.id, "links": {
        "page": page_url("webhooks.detail", endpoint_id=endpoint.id) or external("/")}})
    row = WebhookDelivery(**delivery_row(endpoint.id, None, TEST_TYPE, body, now))
    db.session.add(row)
    db.session.flush()
    audit.record("webhook.test", object_type="webhook_endpoint", object_id=endpoint.id)
    return row


@scoped
def list_deliveries(actor: Actor, endpoint_id: int, *, limit: int = 100,
                    status: str | None = None, before: tuple[datetime, int] | None = None
                    ) -> list[WebhookDelivery]:
    """Newest first; ``before`` (created_at, id) pages on from a row (the API's cursor)."""
    endpoint = get_endpoint(actor, endpoint_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    if before is not None:
        stmt = stmt.where(or_(WebhookDelivery.created_at < before[0], and_(
            WebhookDelivery.created_at == before[0], WebhookDelivery.id < before[1])))
    return list(db.session.execute(stmt.order_by(
        WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit)).scalars())


@scoped
def redeliver(actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Queue the delivery once more (same message id and body), with a fresh set of attempts."""
    found = db.session.execute(select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id)).scalar_one_or_none() if can_manage(actor) else None
    if found is None:
        raise NotVisible("webhook_delivery", delivery_id)
    endpoint = get_endpoint(actor, found.endpoint_id)
    if not endpoint.active:
        raise DomainError(_("Enable the endpoint first."))
    if found.status == DeliveryStatus.SENDING:
        raise DomainError(_("This delivery is being sent right now."))
    found.status, found.attempts = DeliveryStatus.PENDING, 0
    found.next_attempt_at, found.queued_at, found.claimed_at = utcnow(), None, None
    db.session.flush()
    audit.record("webhook.redeliver", object_type="webhook_delivery", object_id=found.id)
    return found
