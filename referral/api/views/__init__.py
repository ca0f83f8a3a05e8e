"""API routes: each module declares its operations on the one API blueprint."""

from referral.api import errors  # noqa: F401  (the blueprint's problem handlers)
from referral.api.views import meta  # noqa: F401
from referral.api.views.blueprint import bp

__all__ = ["bp"]
