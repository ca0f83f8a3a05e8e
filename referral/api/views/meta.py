"""The document and the caller's own token: where an integrator starts."""

from __future__ import annotations

from pydantic import BaseModel

from referral.api.auth import current_token
from referral.api.openapi import document
from referral.api.spec import Reply, operation


class Me(BaseModel):
    """The token making the call: whom it acts as, for which agency, with which role."""

    token_id: int
    token_name: str
    user_id: int
    agency_id: int
    role: str


@operation("GET", "/me", summary="The calling token", tag="meta", response=Me)
def me() -> Me:
    """Whom the token acts as: a first call to check that a token works."""
    token = current_token()
    return Me(token_id=token.id, token_name=token.name, user_id=token.user_id,
              agency_id=token.agency_id, role=token.role)


OPENAPI_SCHEMA = {
    "type": "object", "required": ["openapi", "info", "paths"],
    "description": "An OpenAPI 3.1 document (https://spec.openapis.org/oas/3.1/schema).",
    "properties": {"openapi": {"type": "string", "pattern": "^3\\.1\\.\\d+$"},
                   "info": {"type": "object", "required": ["title", "version"]},
                   "paths": {"type": "object"}, "webhooks": {"type": "object"},
                   "components": {"type": "object"}},
}


@operation("GET", "/openapi.json", summary="This OpenAPI document", tag="meta", public=True,
           response_schema=OPENAPI_SCHEMA)
def openapi_document() -> Reply:
    """Generated from the code on every call, so it always describes the API as deployed.
    A readable rendering is at /api/v1/docs."""
    return Reply(document())
