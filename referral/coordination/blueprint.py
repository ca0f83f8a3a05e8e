"""The coordination Blueprint, shared by its view modules."""

from flask import Blueprint

bp = Blueprint("coordination", __name__, url_prefix="/coordination")
