"""The accounts pages: one blueprint, its routes in a module per subject.

- ``login``: log in and out, change the password, accept an invitation;
- ``self_service``: password reset by e-mail, the user's own sessions;
- ``second_factor``: the login's second step and the factors (its own blueprint, nested here,
  endpoints ``accounts.factors.*``).
"""

from __future__ import annotations

from flask import Blueprint

from referral.accounts.views import login, second_factor, self_service

bp = Blueprint("accounts", __name__)
for _module in (login, self_service):
    _module.routes.add_to(bp)
bp.register_blueprint(second_factor.bp)
