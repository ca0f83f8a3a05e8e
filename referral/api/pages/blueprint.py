"""The blueprint of the token pages (HTML, signed-in users; the JSON API is ``api``)."""

from __future__ import annotations

from flask import Blueprint

pages_bp = Blueprint("api_tokens", __name__, url_prefix="/api-tokens")
