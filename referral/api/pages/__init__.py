"""The token pages: agency managers and administrators create, list and revoke API tokens."""

from referral.api.pages.blueprint import pages_bp

__all__ = ["pages_bp"]
