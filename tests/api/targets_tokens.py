"""Cross-agency targets of the token pages (tests/test_cross_agency_404.py): a token of Police A
made by its manager; outsiders (other agencies' staff) get 404 on its revoke page and POST."""

from __future__ import annotations

from typing import Any

from referral.access.scope import acting_as
from referral.api import token_service
from tests.fixtures import actor


def _revoke(w: dict[str, Any], r: dict[str, Any]) -> Any:
    from tests.test_cross_agency_404 import ADMIN_MANAGES_ALL, Target

    manager = actor(w["manager"])
    with acting_as(manager):
        minted = token_service.create_token(manager, token_service.TokenRequest(
            name="Police A records", role="officer", service_account_name="Records robot"))
    return Target({"token_id": minted.token.id}, insider="manager",
                  exempt={"admin": ADMIN_MANAGES_ALL["admin"] + ", API tokens included"})


TARGETS = {"api_tokens.revoke": _revoke}
