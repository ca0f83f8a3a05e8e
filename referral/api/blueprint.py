"""The API blueprint, outside the views package: the core (auth, spec, errors) registers on it
without importing the route modules, which import the core."""

from __future__ import annotations

from flask import Blueprint

from referral.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Calls carry a bearer token, never a cookie (referral/api/auth.py), so there is no cross-site
# request to forge.
csrf.exempt(bp)
