"""The accounts pages: one blueprint, its routes in a module per subject.

- ``login``: log in and out, change the password, accept an invitation;
- ``self_service``: password reset by e-mail, the user's own sessions;
- ``second_factor``: the login's second step and the factors (its own blueprint, nested here,
  endpoints ``accounts.factors.*``).
"""

from __future__ import annotations

from referral.accounts.views import login, second_factor, self_service  # noqa: F401 - routes
from referral.accounts.views.blueprint import bp

bp.register_blueprint(second_factor.bp)

__all__ = ["bp"]
