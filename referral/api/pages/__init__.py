"""The token pages: agency managers and administrators create, list and revoke API tokens."""

from referral.api import ratelimit  # noqa: F401  (per-token limits around every API call)
from referral.api.pages import views  # noqa: F401
from referral.api.pages.blueprint import pages_bp

__all__ = ["pages_bp"]
