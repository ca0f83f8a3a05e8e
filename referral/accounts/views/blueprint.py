"""The accounts Blueprint; route modules import it from here, never from the package."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
