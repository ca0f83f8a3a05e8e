"""Who is calling: the bearer token becomes the actor of every query and audit row of the call.

Only the ``Authorization`` header counts. A browser's session cookie never authenticates an API
call (the API is exempt from CSRF checks, so a cookie must not open it).
"""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from referral.access.permissions import Permission, Role, role_can
from referral.access.scope import Actor, set_request_actor
from referral.api.models import ApiToken
from referral.api.problems import Problem
from referral.api.tokens import find_usable


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def actor_for_token(token: ApiToken) -> Actor:
    """The token's agency and role, not its user's: a token may carry less than its holder."""
    user = token.user
    regions = user.region_codes if token.role == Role.COORDINATOR else frozenset()
    return Actor(user_id=token.user_id, agency_id=token.agency_id, role=token.role,
                 region_ids=frozenset(regions))


def authenticate(permission: Permission | None) -> Actor:
    """Set the request's actor from its token, or refuse: 401 without a usable token, 404 when
    the token's role lacks ``permission`` (as a page answers, so nothing is confirmed)."""
    set_request_actor(None)
    raw = _bearer()
    token = find_usable(raw) if raw else None
    if token is None:
        raise Problem(401, _("Authentication required"),
                      _("Send a valid API token as 'Authorization: Bearer <token>'."),
                      headers={"WWW-Authenticate": 'Bearer realm="api"'})
    if permission is not None and not role_can(token.role, permission):
        raise Problem(404, _("Not found"))
    actor = actor_for_token(token)
    set_request_actor(actor)
    g.api_token = token
    return actor


def current_token() -> ApiToken:
    """The token of the call being served (after ``authenticate``)."""
    return g.api_token
