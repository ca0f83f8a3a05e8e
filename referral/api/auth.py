"""Who is calling: the bearer token becomes the actor of every query and audit row of the call.

Only the ``Authorization`` header counts. A browser's session cookie never authenticates an API
call (the API is exempt from CSRF checks, so a cookie must not open it).
"""

from __future__ import annotations

from datetime import timedelta

from flask import g, request
from flask_babel import gettext as _
from sqlalchemy import or_, update

from referral.access.permissions import Permission, Role, role_can
from referral.access.scope import Actor, set_request_actor
from referral.api.blueprint import bp
from referral.api.models import ApiToken
from referral.api.problems import Problem
from referral.api.tokens import find_usable
from referral.audit.service import set_request_details
from referral.extensions import db
from referral.models_base import utcnow
from referral.web.transaction import commit_uncounted

# ``last_used_at`` is written at most once a minute per token: a write on every call would
# queue every call behind SQLite's one writer.
LAST_USED_RESOLUTION = timedelta(seconds=60)


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
    set_request_details(None)
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
    # Every audit row of the call says it came through the API, and with which token.
    set_request_details({"via": "api", "token_id": token.id})
    g.api_token = token
    _stamp_last_used(token)
    return actor


def _stamp_last_used(token: ApiToken) -> None:
    """Record the call's time if the last stamp is a minute old (committed at once, as a
    session's last-seen stamp is; the version of nothing changes)."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    table = ApiToken.__table__
    db.session.execute(update(table).where(
        table.c.id == token.id,
        or_(table.c.last_used_at.is_(None), table.c.last_used_at < now - LAST_USED_RESOLUTION),
    ).values(last_used_at=now))
    commit_uncounted()


@bp.teardown_request
def _forget_call(_exc: BaseException | None) -> None:
    set_request_details(None)


def current_token() -> ApiToken:
    """The token of the call being served (after ``authenticate``)."""
    return g.api_token
