"""Webhook endpoints through the API: register, read, change, roll the secret, send a test
event, the delivery log and "send again" — what the Webhooks pages do, for a system that has
only a token and the OpenAPI document.

The same service functions as the pages (referral.webhooks.service), run as the token's actor:
agency managers manage their agency's endpoints, administrators the system's, anyone else (and
any endpoint out of scope) gets 404. The order of a change: the endpoint is loaded through the
scoped service first (404), then If-Match is checked (428/412), then the rules run (422).

A secret is in one answer only (creation, roll): the stored answer of an Idempotency-Key keeps
it out (``shown_once``), so a replay says ``secret: null`` instead of keeping it for a day.
"""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import gettext as _

from referral.access.scope import Actor, current_actor
from referral.api.etag import check_if_match, etag_header, expected_version
from referral.api.paging import Page, decode_cursor, encode_cursor, invalid_cursor
from referral.api.problems import Problem
from referral.api.schemas import webhooks as s
from referral.api.spec import Reply, operation
from referral.web.transaction import run_action
from referral.webhooks import service
from referral.webhooks.catalogue import ERROR_LABELS, types_for
from referral.webhooks.models import WebhookDelivery, WebhookEndpoint

TAG = "webhook endpoints"
CHANGE_ERRORS = (412, 428)


def _manager() -> Actor:
    """The caller, if it manages endpoints; else 404 (as the pages answer)."""
    actor = current_actor()
    if not service.can_manage(actor):
        raise Problem(404, _("Not found"))
    return actor


def endpoint_resource(e: WebhookEndpoint) -> s.Endpoint:
    return s.Endpoint(
        id=e.id, url=e.url, description=e.description or "", event_types=list(e.event_types),
        system=e.is_system, active=e.active, disabled_at=e.disabled_at,
        disabled_reason=e.disabled_reason, consecutive_failures=e.consecutive_failures or 0,
        previous_secret_until=e.previous_secret_until, created_at=e.created_at,
        version=e.version)


def _with_secret(e: WebhookEndpoint, secret: str, status: int) -> Reply:
    body = s.EndpointWithSecret(**endpoint_resource(e).model_dump(), secret=secret)
    location = url_for("api.get_webhook_endpoint", endpoint_id=e.id)
    return Reply(body, status=status, headers={**etag_header(e.version), "Location": location})


def delivery_resource(d: WebhookDelivery) -> s.Delivery:
    label = ERROR_LABELS.get(d.last_error or "")
    return s.Delivery(
        id=d.id, endpoint_id=d.endpoint_id, msg_id=d.msg_id, event_type=d.event_type,
        status=d.status, attempts=d.attempts or 0, next_attempt_at=d.next_attempt_at,
        last_status_code=d.last_status_code, last_error=d.last_error,
        last_error_label=str(label) if label is not None else None, created_at=d.created_at,
        delivered_at=d.delivered_at, payload=dict(d.payload or {}))


def _input(body: s.EndpointIn) -> service.EndpointInput:
    return service.EndpointInput(body.url, body.description, [str(t) for t in body.event_types])


@operation("GET", "/webhooks", summary="The caller's webhook endpoints", tag=TAG,
           response=s.Endpoints)
def list_webhook_endpoints() -> s.Endpoints:
    """The endpoints the caller manages (an agency manager: the agency's; an administrator:
    the system's), newest first. Their secrets are never shown again."""
    actor = _manager()
    return s.Endpoints(items=[endpoint_resource(e) for e in service.list_endpoints(actor)])


@operation("POST", "/webhooks", summary="Register a webhook endpoint", tag=TAG,
           body=s.EndpointIn, response=s.EndpointWithSecret, status=201, idempotent=True,
           shown_once=("secret",))
def create_webhook_endpoint(body: s.EndpointIn) -> Reply:
    """Register an HTTPS endpoint for event types of the catalogue
    (``GET /webhook-event-types``). The answer holds the signing secret: the only time it is
    shown (keep it; roll it if lost). The same Idempotency-Key sent again gives the same
    endpoint, without the secret."""
    actor = _manager()
    service.check_address(body.url)  # resolved before the transaction
    endpoint, secret = run_action(lambda: service.create_endpoint(actor, _input(body)))
    return _with_secret(endpoint, secret, 201)


@operation("GET", "/webhooks/<int:endpoint_id>", summary="One webhook endpoint", tag=TAG,
           response=s.Endpoint)
def get_webhook_endpoint(endpoint_id: int) -> Reply:
    """The endpoint with its ETag (the version a change names in If-Match)."""
    endpoint = service.get_endpoint(current_actor(), endpoint_id)
    return Reply(endpoint_resource(endpoint), headers=etag_header(endpoint.version))


def _change(actor: Actor, endpoint_id: int, body: s.EndpointPatch, expected: int) -> None:
    endpoint = service.get_endpoint(actor, endpoint_id)
    if any(v is not None for v in (body.url, body.description, body.event_types)):
        types = [str(t) for t in body.event_types] if body.event_types else endpoint.event_types
        endpoint = service.update_endpoint(actor, endpoint_id, service.EndpointInput(
            body.url or endpoint.url, endpoint.description if body.description is None
            else body.description, list(types)), expected_version=expected)
    elif endpoint.version != expected:
        raise Problem(412, _("The record has changed"),
                      _("Someone else changed the record; read it again and retry."))
    if body.active is not None and body.active != endpoint.active:
        service.set_active(actor, endpoint_id, body.active)


@operation("PATCH", "/webhooks/<int:endpoint_id>", summary="Change a webhook endpoint",
           tag=TAG, body=s.EndpointPatch, response=s.Endpoint, if_match=True,
           errors=CHANGE_ERRORS)
def update_webhook_endpoint(endpoint_id: int, body: s.EndpointPatch) -> Reply:
    """Change the address, description or event types, or disable / enable the endpoint
    (``active``), naming the version changed in If-Match."""
    actor = current_actor()
    check_if_match(service.get_endpoint(actor, endpoint_id).version)
    expected = expected_version()
    if body.url is not None:
        service.check_address(body.url)  # resolved before the transaction
    run_action(lambda: _change(actor, endpoint_id, body, expected))
    return get_webhook_endpoint(endpoint_id)


@operation("POST", "/webhooks/<int:endpoint_id>/roll-secret", summary="Roll the secret",
           tag=TAG, response=s.EndpointWithSecret, idempotent=True, shown_once=("secret",))
def roll_webhook_secret(endpoint_id: int) -> Reply:
    """A new signing secret, shown in this answer only. The old one still signs, beside it,
    for a day (``previous_secret_until``), so the receiver can switch without losing events."""
    actor = current_actor()
    service.get_endpoint(actor, endpoint_id)
    endpoint, secret = run_action(lambda: service.roll_secret(actor, endpoint_id))
    return _with_secret(endpoint, secret, 200)


@operation("POST", "/webhooks/<int:endpoint_id>/test", summary="Send a test event", tag=TAG,
           response=s.Delivery, status=202, idempotent=True)
def send_webhook_test(endpoint_id: int) -> s.Delivery:
    """Queue a ``webhook.test`` event to the endpoint (sent within a minute); the answer is its
    delivery, to follow in the delivery log."""
    actor = current_actor()
    service.get_endpoint(actor, endpoint_id)
    return delivery_resource(run_action(lambda: service.send_test(actor, endpoint_id)))


def _position(cursor: str | None) -> tuple[datetime, int] | None:
    found = decode_cursor(cursor)
    if found is None:
        return None
    try:
        made, last = datetime.fromisoformat(found["c"]), int(found["i"])
    except (KeyError, TypeError, ValueError):
        made = None
    if made is None or made.tzinfo is None:
        raise invalid_cursor()
    return made, last


@operation("GET", "/webhooks/<int:endpoint_id>/deliveries", summary="An endpoint's deliveries",
           tag=TAG, query=s.DeliveryQuery, response=Page[s.Delivery])
def list_webhook_deliveries(endpoint_id: int, query: s.DeliveryQuery) -> Page[s.Delivery]:
    """The delivery log, newest first, a page at a time (``status`` filters)."""
    rows = service.list_deliveries(
        current_actor(), endpoint_id, limit=query.limit + 1, before=_position(query.cursor),
        status=str(query.status) if query.status else None)
    more, rows = len(rows) > query.limit, rows[:query.limit]
    cursor = (encode_cursor({"c": rows[-1].created_at.isoformat(), "i": rows[-1].id})
              if more and rows else None)
    return Page[s.Delivery](items=[delivery_resource(d) for d in rows], next_cursor=cursor)


@operation("POST", "/webhooks/deliveries/<int:delivery_id>/redeliver",
           summary="Send a delivery again", tag=TAG, response=s.Delivery, status=202,
           idempotent=True)
def redeliver_webhook(delivery_id: int) -> s.Delivery:
    """Queue the delivery once more: the same message id and body, a fresh set of attempts."""
    actor = current_actor()
    return delivery_resource(run_action(lambda: service.redeliver(actor, delivery_id)))


@operation("GET", "/webhook-event-types", summary="The webhook event types", tag=TAG,
           response=s.EventTypes)
def list_webhook_event_types() -> s.EventTypes:
    """The event types an endpoint of the caller may subscribe to, labelled in the caller's
    language (an administrator: the system's events)."""
    labels = types_for(current_actor().role == "administrator")
    return s.EventTypes(items=[s.EventTypeOut(type=t, label=str(label))
                               for t, label in labels.items()])
