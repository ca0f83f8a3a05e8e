"""Who sees webhook endpoints and their deliveries.

An agency's endpoints: that agency's managers. System endpoints: the administrators. Nobody
else, whatever their reach into cases (an endpoint holds no case content, but its URL and log
are the agency's own business).
"""

from __future__ import annotations

from sqlalchemy import exists, false, select
from sqlalchemy.sql.elements import ColumnElement

from referral.access.permissions import Role
from referral.access.scope import Actor, register_scope
from referral.webhooks.models import WebhookDelivery, WebhookEndpoint


def _endpoint_rule(actor: Actor) -> ColumnElement[bool] | None:
    """The endpoints the actor sees, or None for none (the system actor is never scoped)."""
    if actor.role == Role.ADMINISTRATOR:
        return WebhookEndpoint.agency_id.is_(None)
    if actor.role == Role.AGENCY_MANAGER and actor.agency_id is not None:
        return WebhookEndpoint.agency_id == actor.agency_id
    return None


@register_scope(WebhookEndpoint)
def endpoint_visible(actor: Actor) -> ColumnElement[bool]:
    rule = _endpoint_rule(actor)
    return false() if rule is None else rule


@register_scope(WebhookDelivery)
def delivery_visible(actor: Actor) -> ColumnElement[bool]:
    rule = _endpoint_rule(actor)
    if rule is None:
        return false()
    return exists(select(WebhookEndpoint.id).where(
        WebhookEndpoint.id == WebhookDelivery.endpoint_id, rule))
