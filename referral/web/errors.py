"""Error pages, and the audited 404 for records outside the user's scope."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from referral.audit import service as audit
from referral.errors import NotVisible, ReadOnlyAccess
from referral.extensions import db
from referral.web.transaction import view_committed

log = logging.getLogger(__name__)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Path prefix -> what answers an HTTP error there instead of an HTML page (the JSON API
# registers its problem documents), for errors raised before any view ran (an unknown URL).
_RESPONDERS: dict[str, Callable[[HTTPException], Response]] = {}


def register_error_responder(prefix: str,
                             responder: Callable[[HTTPException], Response]) -> None:
    _RESPONDERS[prefix] = responder


def _responder() -> Callable[[HTTPException], Response] | None:
    for prefix, responder in _RESPONDERS.items():
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return responder
    return None


def _truth() -> dict[str, Any]:
    """What an error page may say of the request's own change: ``saved`` when a request that
    changes something (not a page view, whose only writes are its audit rows) had committed
    before it failed (e.g. while the page after the change rendered), ``changing`` when it
    changes something and had not."""
    changing = request.method not in _SAFE_METHODS
    return {"saved": changing and view_committed(), "changing": changing}


def register(app: Flask) -> None:
    @app.errorhandler(NotVisible)
    def _not_visible(exc: NotVisible) -> tuple[str, int]:
        # Whatever the action had written is discarded; the denied attempt itself is kept.
        db.session.rollback()
        audit.record(
            f"{exc.object_type}.access",
            object_type=exc.object_type,
            object_id=exc.object_id,
            outcome="denied",
        )
        db.session.commit()
        return render_template("errors/404.html"), 404

    @app.errorhandler(ReadOnlyAccess)
    def _read_only(exc: ReadOnlyAccess) -> tuple[str, int]:
        # A change tried through emergency access (read-only): nothing is kept but the refusal.
        db.session.rollback()
        audit.record("case.emergency_write", object_type="case", object_id=exc.case_id,
                     outcome="denied")
        db.session.commit()
        return render_template("errors/generic.html", code=403, description=exc.message,
                               reason=exc.message, **_truth()), 403

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[str, int]:
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        code = exc.code or 500
        responder = _responder()
        if responder is not None:
            return responder(exc)  # the exception: a 405's Allow, a 413's limit
        template = "errors/404.html" if code == 404 else "errors/generic.html"
        # Our own refusals carry a translated reason (a lazy string); Werkzeug's defaults are
        # English-only text, so they are not shown.
        reason = None if isinstance(exc.description, str) else exc.description
        return render_template(template, code=code, description=exc.description, reason=reason,
                               **_truth()), code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        if app.config.get("TESTING") and app.config.get("PROPAGATE_UNEXPECTED", True):
            raise exc
        db.session.rollback()
        log.exception("unhandled error")  # the traceback holds no request data we add ourselves
        responder = _responder()
        if responder is not None:  # e.g. the JSON API, failing before its views ran
            return responder(InternalServerError())
        return render_template("errors/generic.html", code=500, description=None,
                               **_truth()), 500
