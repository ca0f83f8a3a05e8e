"""API routes: each module declares its operations on the one API blueprint.

The domain registers two blueprints: the JSON API and the HTML pages that manage its tokens.
"""

# errors: the blueprint's problem handlers; etag, idempotency: their AROUND hooks.
from referral.api import errors, etag, idempotency  # noqa: F401
from referral.api.blueprint import bp
from referral.api.pages import pages_bp
from referral.api.views import (  # noqa: F401  (each module declares its operations)
    agencies,
    case_parts,
    cases,
    fhir,
    hsds,
    meta,
    notifications,
    people,
    reference,
    referral_actions,
    referrals,
    statistics,
    webhooks,
)

blueprints = (bp, pages_bp)

__all__ = ["blueprints", "bp"]
