"""API routes: each module declares its operations on the one API blueprint.

The domain registers two blueprints: the JSON API and the HTML pages that manage its tokens.
"""

from referral.api import errors  # noqa: F401  (the blueprint's problem handlers)
from referral.api.pages import pages_bp
from referral.api.views import meta  # noqa: F401
from referral.api.views.blueprint import bp

blueprints = (bp, pages_bp)

__all__ = ["blueprints", "bp"]
