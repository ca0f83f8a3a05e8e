"""/metrics for Prometheus, and the app-wide hooks that time every request."""

from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, request
from flask.signals import request_started
from prometheus_client import CONTENT_TYPE_LATEST
from werkzeug.wrappers import Response

from referral.ops import access, metrics

bp = Blueprint("ops", __name__)


@bp.record_once
def _install(state) -> None:  # noqa: ANN001 - Flask's BlueprintSetupState
    access.check_config(state.app)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:  # gunicorn.conf.py makes and empties it; any other server needs it to exist
        os.makedirs(directory, exist_ok=True)
    request_started.connect(metrics.request_started, state.app)


bp.after_app_request(metrics.observe)


@bp.get("/metrics")
def prometheus() -> Response:
    """The scrape; 404 (not 403) for anyone not allowed, as if there were no such page."""
    if not access.may_read_metrics(current_app, request):
        abort(404)
    response = Response(metrics.exposition(), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
