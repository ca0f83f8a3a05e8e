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
    token = current_token()
    return Me(token_id=token.id, token_name=token.name, user_id=token.user_id,
              agency_id=token.agency_id, role=token.role)


@operation("GET", "/openapi.json", summary="This OpenAPI document", tag="meta", public=True)
def openapi_document() -> Reply:
    return Reply(document())
